"""Safe file access: atomic writes, planned changes, safe XML and key/value editing."""
