# gateway/policy.mk: owned by its module; filled in as the module lands.
