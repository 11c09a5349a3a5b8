# admin-web/admin-web.mk: owned by its module; filled in as the module lands.
