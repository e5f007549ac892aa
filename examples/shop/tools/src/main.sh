echo "shopctl: $(cat /etc/shop/release)"
