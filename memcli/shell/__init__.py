"""The shell adapter: hook scripts for bash, zsh and fish (mem.bash, mem.zsh, mem.fish, kept tiny:
builtins only, writing a spool) and `install`, which adds or removes their line in rc files."""
