"""The slotwise demo: the deployment-slot story, told against the embedded emulator."""
