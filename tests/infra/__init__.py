"""Tests of the CDK app (infra/): synthesized templates, cdk-nag, cfn-lint."""
