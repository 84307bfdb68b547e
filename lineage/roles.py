"""Lineage permissions for the role groups of DESIGN §5: every role reads lineage,
uploaders also post events."""

READ = ["view_lineageevent", "view_namespace", "view_job", "view_run", "view_dataset"]
ROLES = {
    "viewers": READ,
    "uploaders": [*READ, "add_lineageevent"],
    "promoters": READ,
}
