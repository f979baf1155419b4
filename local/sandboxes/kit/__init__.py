"""What every carrier sandbox shares that is not a carrier's wire format: the shared clock file and the
JSON state persistence. Standard library only, and nothing from the project's shared package: the
sandboxes' shapes still come only from each carrier's published documents."""
