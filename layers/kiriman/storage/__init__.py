"""Storage adapter: one DynamoDB table through PynamoDB. The domain sees only ``Store``'s methods."""
