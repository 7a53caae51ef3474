/* Probed by uwsgiconfig.py (exists on EL4 and EL5); never compiled: see README.md. */
