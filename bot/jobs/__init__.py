"""The few periodic jobs (APScheduler): digests, reminders, prompts and term reviews."""
