"""What several test modules share: factories, stand-ins for outside services, readers of what
the platform did. Test modules import from here, never from each other."""
