"""The storage client side: put, get, list, rotate and remove files (placement of shares on distinct
nodes, verified fetching, share files on disk)."""
