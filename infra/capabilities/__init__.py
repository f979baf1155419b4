"""One construct per capability; :mod:`infra.stack` composes them in dependency order."""
