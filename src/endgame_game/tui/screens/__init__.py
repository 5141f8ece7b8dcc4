"""The app's screens: title, briefing, game, turn report, ending, handover, umpire, dialogs, help."""
