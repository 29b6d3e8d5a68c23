"""Messages: what people write, translated, rendered and fanned out to everyone concerned."""
