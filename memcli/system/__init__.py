"""Adapters to the operating system: the nightly job (cron or systemd) and writing files the user
names (exports), with the care those need (atomic changes, modes, devices refused)."""
