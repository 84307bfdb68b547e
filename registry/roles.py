"""The roles of DESIGN §5 as groups holding the registry's model permissions (granted by
registry_site.access.grant from migration 0002 and after every `migrate`)."""

READ = ["view_registeredmodel", "view_modelversion", "view_alias", "view_auditentry"]
ROLES = {
    "viewers": READ,
    "uploaders": [*READ, "add_registeredmodel", "change_registeredmodel", "add_modelversion", "change_modelversion"],
    "promoters": [*READ, "promote_modelversion", "delete_registeredmodel", "delete_modelversion"],
}
