"""access.yaml on the lake itself: ACLs on the ADLS Gen2 directories and user-delegation SAS."""
