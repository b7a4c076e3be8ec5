"""How CloudEvents reach functions where no Knative broker does it (RabbitMQ, the dispatcher)."""
