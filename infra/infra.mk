# CDK targets (issue #4). Included by the top Makefile (`-include infra/infra.mk`); also works alone:
#   make -f infra/infra.mk synth
#
#   make layer        build/layers/{shared,deps}/python  (pip, manylinux aarch64 wheels; no Docker)
#   make synth        layers if needed, then cdk.out/: template, assets, cdk-nag report (no AWS credentials)
#   make cfn-lint     cfn-lint on every template in cdk.out/
#   make infra-test   tests/infra (one synth per session)
#   make infra-lint   ruff + mypy on infra/ and tests/infra/
#   make cdk-bootstrap | cdk-diff | cdk-deploy | cdk-destroy   the pinned CDK CLI via npx (needs AWS credentials)
#
# Variables: STAGE (dev), REGION (ap-southeast-1), CDK_VERSION (the pinned CLI), CDK_ARGS (extra CLI flags,
# e.g. CDK_ARGS='-c alarm_email=ops@example.com').

VENV ?= .venv
# The top Makefile's PY is the interpreter that *creates* the venv; everything here runs inside it.
INFRA_PY := $(VENV)/bin/python
STAGE ?= dev
REGION ?= ap-southeast-1
CDK_VERSION ?= 2.1148.1
CDK ?= npx --yes aws-cdk@$(CDK_VERSION)
CDK_ARGS ?=
CDK_OUT ?= cdk.out
LAYERS_DIR ?= build/layers
# When included from the top Makefile, depend on its install stamp; standalone, on nothing.
INFRA_INSTALL := $(STAMP)

SHARED_SOURCES := $(shell find layers/kiriman -name '*.py' -not -path '*/__pycache__/*' 2>/dev/null) layers/kiriman/py.typed
CDK_CONTEXT := -c stage=$(STAGE) -c region=$(REGION)

.PHONY: infra-deps layer synth cfn-lint infra-test infra-lint cdk-bootstrap cdk-diff cdk-deploy cdk-destroy infra-clean

infra-deps:
	$(INFRA_PY) -m pip install -q -c constraints.txt -r infra/requirements.txt

# Stamps live beside (not inside) the layer directories, which are the layer zips' content.
layer: $(LAYERS_DIR)/.shared.stamp $(LAYERS_DIR)/.deps.stamp

$(LAYERS_DIR)/.shared.stamp: $(SHARED_SOURCES) infra/build_layers.py | $(INFRA_INSTALL)
	$(INFRA_PY) -m infra.build_layers --out $(LAYERS_DIR) --only shared
	@touch $@

$(LAYERS_DIR)/.deps.stamp: pyproject.toml constraints.txt infra/build_layers.py | $(INFRA_INSTALL)
	$(INFRA_PY) -m infra.build_layers --out $(LAYERS_DIR) --only deps
	@touch $@

# Runs the app directly (what `cdk synth` runs, with the same cdk.json feature flags), so a fresh clone
# synthesizes with the venv and Node only: no CDK CLI download, no AWS credentials, no Docker.
synth: layer | $(INFRA_INSTALL)
	rm -rf $(CDK_OUT)
	CDK_OUTDIR=$(CDK_OUT) CDK_CONTEXT_JSON='{"stage":"$(STAGE)","region":"$(REGION)"}' $(INFRA_PY) infra/app.py
	@ls $(CDK_OUT)/*.template.json $(CDK_OUT)/AwsSolutions-*NagReport.*

cfn-lint: synth
	$(VENV)/bin/cfn-lint --config-file infra/cfnlintrc.yaml $(CDK_OUT)/*.template.json

infra-test: | $(INFRA_INSTALL)
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/infra

infra-lint: | $(INFRA_INSTALL)
	$(VENV)/bin/ruff check infra tests/infra
	$(VENV)/bin/mypy infra

cdk-bootstrap: layer
	$(CDK) bootstrap $(CDK_CONTEXT) $(CDK_ARGS)

cdk-diff: layer
	$(CDK) diff $(CDK_CONTEXT) $(CDK_ARGS)

cdk-deploy: layer
	$(CDK) deploy $(CDK_CONTEXT) $(CDK_ARGS)

cdk-destroy: layer
	$(CDK) destroy $(CDK_CONTEXT) $(CDK_ARGS)

infra-clean:
	rm -rf $(CDK_OUT) $(LAYERS_DIR)
