shopctl
