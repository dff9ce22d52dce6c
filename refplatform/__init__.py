"""refplatform package."""
