# pipelines/model.mk: one model commit's pipeline, one target per artifact
# in $(PF_HOME)/runs/<org>/<name>/<commit>/, with the true dependencies:
#
#   plan.json -> fetch.json -> scan-*.json (independent: make -j runs them
#   side by side) -> approve.json -> gate.json -> sign.json -> mlbom.json
#   -> report.html
#
#   make -f model.mk MODEL=org/name                 the whole pipeline
#   make -f model.mk MODEL=org/name scan-pickle     one stage, as an auditor
#   make -f model.mk MODEL=org/name REVISION=v1.0   another branch or tag
#
# Every tool writes its artifact atomically: a verdict (exit 1) keeps it
# for the next stage, a failure (2 or 3) leaves none, so make stops there
# and a rerun resumes. A second run does nothing; deleting an artifact
# reruns that stage and what depends on it; a changed policy file reruns
# every stage (they all read it). The commit is resolved once per
# REVISION by 'resolve' and recorded in runs/<org>/<name>/<REVISION>.commit;
# COMMIT= pins it.

MODEL    ?=
REVISION ?= main
PF_HOME  ?= $(or $(XDG_DATA_HOME),$(HOME)/.local/share)/pathfinder
# The tools: PF_BIN/pf-..., else from PATH.
PF_BIN   ?=
SIGN_KEY ?= $(or $(PF_SIGN_KEY),$(PF_HOME)/keys/signing.pem)
# The public half, which the container's pf-verify checks the model with.
PUB_KEY  ?= $(SIGN_KEY:.pem=.pub.pem)
export PF_HOME

ifeq ($(strip $(MODEL)),)
$(error MODEL is not set: make -f model.mk MODEL=org/name)
endif

BIN      := $(if $(PF_BIN),$(PF_BIN)/,)
RUNS     := $(PF_HOME)/runs/$(MODEL)
POINTER  := $(RUNS)/$(subst /,%2F,$(REVISION)).commit
# Read once (':='), not at each of its uses as '?=' would; set on the
# command line or in the environment, it is used as it is.
ifeq ($(origin COMMIT),undefined)
COMMIT   := $(shell cat '$(POINTER)' 2>/dev/null)
endif
RUN      := $(RUNS)/$(COMMIT)
SCANS    := scan-pickle scan-py scan-weights scan-secrets scan-deps
POLICY   := $(wildcard $(PF_POLICY))
APPROVALS = $(wildcard $(PF_HOME)/approvals/$(MODEL)/$(COMMIT)/*.json)
STAGES   := plan fetch $(SCANS) approve gate sign mlbom report

# A verdict (1) keeps its artifact and the pipeline goes on; 2 and 3 stop it.
verdict_ok = rc=$$?; [ $$rc -le 1 ] || exit $$rc

.PHONY: all resolve run $(STAGES) print-run
.DEFAULT_GOAL := all

# Resolves REVISION to a commit with preflight and records it; the plan
# this makes is the commit's plan.json when that is new.
resolve:
	@mkdir -p '$(RUNS)'
	@$(BIN)pf-preflight '$(MODEL)' --revision '$(REVISION)' $(PREFLIGHT_ARGS) \
		-o '$(RUNS)/.resolve.json'; $(verdict_ok); \
	c=$$(jq -r .model.commit '$(RUNS)/.resolve.json'); \
	case $$c in [0-9a-f]*) ;; *) echo "model.mk: no commit resolved" >&2; exit 3;; esac; \
	mkdir -p '$(RUNS)'/$$c; \
	if [ -f '$(RUNS)'/$$c/plan.json ] && \
	    jq -e -n '[(input, input) | del(.generated_at)] | .[0] == .[1]' \
	        '$(RUNS)'/$$c/plan.json '$(RUNS)/.resolve.json' >/dev/null; then \
		rm -f '$(RUNS)/.resolve.json'; \
	else mv '$(RUNS)/.resolve.json' '$(RUNS)'/$$c/plan.json; fi; \
	printf '%s\n' $$c >'$(POINTER).tmp' && mv '$(POINTER).tmp' '$(POINTER)'

ifeq ($(strip $(COMMIT)),)
# No commit yet: resolve it, then run what was asked with it pinned.
all run $(STAGES): resolve
	@$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory \
		COMMIT=$$(cat '$(POINTER)') $@
else
all: report
run: $(RUN)/result.json
plan: $(RUN)/plan.json
fetch: $(RUN)/fetch.json
$(SCANS): %: $(RUN)/%.json
approve: $(RUN)/approve.json
gate: $(RUN)/gate.json
sign: $(RUN)/sign.json
mlbom: $(RUN)/mlbom.json
report: $(RUN)/report.html
print-run:
	@echo '$(RUN)'

$(RUN)/plan.json: $(POLICY)
	@mkdir -p '$(RUN)'
	$(BIN)pf-preflight '$(MODEL)' --revision '$(COMMIT)' $(PREFLIGHT_ARGS) -o $@; $(verdict_ok)

$(RUN)/fetch.json: $(RUN)/plan.json $(POLICY)
	$(BIN)pf-fetch -i $< -o $@ $(FETCH_ARGS); $(verdict_ok)

$(RUN)/scan-%.json: $(RUN)/fetch.json $(POLICY)
	$(BIN)pf-scan-$* -i $< -o $@; $(verdict_ok)

$(RUN)/approve.json: $(RUN)/plan.json $(RUN)/fetch.json $(APPROVALS) $(POLICY)
	$(BIN)pf-approve check --plan $(RUN)/plan.json --fetch $(RUN)/fetch.json -o $@; $(verdict_ok)

$(RUN)/gate.json: $(RUN)/plan.json $(RUN)/fetch.json $(SCANS:%=$(RUN)/%.json) $(RUN)/approve.json $(POLICY)
	$(BIN)pf-gate --plan $(RUN)/plan.json -i $(RUN)/fetch.json --approval $(RUN)/approve.json \
		$(SCANS:%=$(RUN)/%.json) -o $@; $(verdict_ok)

$(RUN)/sign.json: $(RUN)/gate.json $(RUN)/fetch.json
	@[ -f '$(SIGN_KEY)' ] || { echo "model.mk: no signing key '$(SIGN_KEY)' (SIGN_KEY=)" >&2; exit 2; }
	$(BIN)pf-sign --key '$(SIGN_KEY)' -i $< --fetch $(RUN)/fetch.json -o $@; $(verdict_ok)

$(RUN)/mlbom.json: $(RUN)/sign.json $(RUN)/gate.json $(SCANS:%=$(RUN)/%.json) $(POLICY)
	$(BIN)pf-mlbom --run $(RUN) -o $@

$(RUN)/report.html: $(RUN)/mlbom.json
	$(BIN)pf-report --run $(RUN) -o $@

$(RUN)/result.json: $(RUN)/gate.json $(RUN)/sign.json
	@command -v $(BIN)pf-launch >/dev/null 2>&1 || \
		{ echo "model.mk: pf-launch is not in this build: the model cannot be run yet" >&2; exit 3; }
	$(BIN)pf-launch --plan $(RUN)/plan.json --gate $(RUN)/gate.json --sign $(RUN)/sign.json \
		--key '$(PUB_KEY)' $(if $(HF_TOKEN_PATH),--token-file '$(HF_TOKEN_PATH)') $(LAUNCH_ARGS) -o $@; $(verdict_ok)
endif
