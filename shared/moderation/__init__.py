"""Keeping the catalog clean: abuse reports, the admins' queue, hide, restore, approve."""
