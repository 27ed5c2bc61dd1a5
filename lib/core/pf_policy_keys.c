/*
 * The keys a policy may hold, one a line in alphabetical order, so that a
 * typo ("allow_list") is an error naming the key rather than a setting
 * silently ignored. A key here is a path of members: "*" stands for any
 * one member name (a device, a rule id, a package), "[]" for the elements
 * of an array. Listing "a.b" makes "a" a known object whose other members
 * are unknown; a key listed with nothing below it may hold any value (its
 * owner checks the type). A new policy key gets its line here, beside its
 * section in pathfinder-policy(5).
 */
#include <stddef.h>

#include "pf_policy.h"

const char *const pf_policy_keys[] = { "allowlist", "approvals.approvers[].id",
	"approvals.approvers[].public_key", "approvals.approvers[].roles",
	"approvals.rule", "audit.public_key", "caps.api_response",
	"caps.approval_reason", "caps.approval_record", "caps.approval_records",
	"caps.archive_member", "caps.archive_nest", "caps.archive_ratio",
	"caps.archive_unpacked", "caps.audit_checkpoints", "caps.audit_event",
	"caps.audit_line", "caps.config", "caps.fetch_file_size",
	"caps.gguf_kv", "caps.gguf_tensors", "caps.h5_messages", "caps.key_pem",
	"caps.notebook", "caps.notebook_cells", "caps.npy_header",
	"caps.osv_bytes", "caps.osv_record", "caps.osv_records",
	"caps.pickle_embed", "caps.pickle_line", "caps.pickle_member",
	"caps.pickle_members", "caps.pickle_memo", "caps.pickle_nest",
	"caps.pickle_ops", "caps.pickle_ratio", "caps.pickle_stack",
	"caps.pickle_streams", "caps.pickle_unpacked", "caps.pickle_values",
	"caps.protobuf", "caps.py_fold", "caps.py_indent", "caps.py_names",
	"caps.py_nest", "caps.py_source", "caps.req_depth", "caps.req_file",
	"caps.req_files", "caps.reqs", "caps.secrets_file",
	"caps.secrets_match", "caps.secrets_match_steps", "caps.secrets_meta",
	"caps.secrets_meta_strings", "caps.st_header", "caps.st_tensors",
	"caps.template", "caps.text_scan", "caps.zip_members", "deps.advisories",
	"deps.allowed_indexes", "deps.files", "deps.locked.*", "deps.popular",
	"deps.typosquat_min_length", "extends", "fetch.low_speed_bytes_per_second",
	"fetch.low_speed_seconds", "fetch.max_wait_seconds", "fetch.parallel",
	"fetch.rehash_reused", "formats.allow_pickle", "formats.allowed",
	"formats.blocked", "formats.pickle_only", "formats.prefer_safetensors",
	"gate.alert_command", "gate.alert_timeout_seconds", "gate.mode",
	"gate.required_scans", "gate.waive_critical", "gate.waiver_file",
	"gate.waivers[].expires", "gate.waivers[].id", "gate.waivers[].reason",
	"gate.waivers[].waived_by", "hub.allowed_hosts",
	"hub.backoff_initial_seconds", "hub.connect_timeout_seconds",
	"hub.requests_per_second", "hub.retries", "hub.timeout_seconds",
	"hub.token_file_permissions", "launch.blocked_mounts",
	"launch.blocked_names", "launch.blocked_parents", "launch.command",
	"launch.image", "launch.max.cpus", "launch.max.grace_seconds",
	"launch.max.log_max", "launch.max.memory", "launch.max.nofile",
	"launch.max.pids", "launch.max.shm_size", "launch.max.timeout_seconds",
	"launch.max.tmp_size", "launch.mount_root", "launch.network",
	"launch.public_key", "launch.seccomp", "launch.timeout_minutes",
	"launch.uid", "launch.verifier", "pickle.auto_profiles", "pickle.extra",
	"pickle.profiles", "pickle.rules", "pickle.severity.*",
	"policy_version", "python.disable", "python.entropy_min_bits",
	"python.entropy_min_length", "python.escalate_import_time",
	"python.rules", "python.severity.*", "python.source_max",
	"remote_code.allow", "remote_code.approval", "resources.batch_size",
	"resources.context_length", "resources.device_type",
	"resources.devices.*.memory_gb", "resources.devices.*.per_node",
	"resources.kv_cache_dtype_bytes", "resources.overhead_factor",
	"scan.fail_on", "scan.rehash_max_bytes", "secrets.disabled_rules",
	"secrets.rules", "secrets.severity.*", "signed_commits.keyring",
	"signed_commits.require_for", "trusted_publishers", "unlisted",
	"weights.keras_modules", "weights.onnx_domains",
	"weights.prompt_injection", "weights.severity.*", NULL };
