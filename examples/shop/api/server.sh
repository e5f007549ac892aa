echo "serving $(ls /srv/static | wc -l) static files, version $(cat /srv/VERSION)"
