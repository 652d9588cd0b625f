/* cg-creds.h: the process's secrets beyond PSKs: EAP passwords by
 * identity (for both roles, as the secrets file lists them) and PINs /
 * key passphrases by what they unlock (a token label or a file path).
 *
 * Process-wide and thread-safe: cygnetd runs one engine and fills this
 * from its secrets file; nm-cygnet-service puts the secrets of its one
 * connection into the CgConnConfig instead. Secrets are copied into
 * memory that is wiped when replaced, cleared or no longer referenced;
 * they never reach a log line.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An EAP password for users whose identity matches one of ids (identity
 * texts as cg_identity_parse takes, or plain user names; "%any" matches
 * everyone). */
void cg_creds_add_eap_secret(const char *const *ids, GBytes *secret);
/* A PIN or passphrase for `target`: a PKCS#11 token label or a file path. */
void cg_creds_add_key_secret(const char *target, GBytes *secret);
/* Forgets everything (before a reload). */
void cg_creds_clear(void);

/* The best match (exact over %any), or NULL. */
GBytes *cg_creds_find_eap_secret(const char *identity);
GBytes *cg_creds_find_key_secret(const char *target);

G_END_DECLS
