"""The AWS CDK app of the project (issue #4): see infra/app.py and docs/deploy.md."""
