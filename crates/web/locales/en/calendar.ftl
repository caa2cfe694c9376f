# The calendar: the calendar page, an activity's form, the client's tab and today's activities.

nav-calendar = Calendar
calendar-title = Calendar
calendar-heading = Calendar
calendar-new = Plan activity
calendar-filters = Calendar filters
calendar-who = Show
calendar-who-me = My activities
calendar-who-all = Everyone's activities
calendar-client = Client
calendar-client-any = Any client
calendar-filter = Show
calendar-move-conflict = Someone else changed this activity first; the calendar now shows it as it stands.
calendar-move-failed = The activity could not be moved; it is back where it was.
calendar-move-invalid = The activity cannot go there.
calendar-notice-close = Close
calendar-open = Open the calendar
calendar-today-button = Today
calendar-today-heading = Today
calendar-today-none = Nothing planned for you today.
calendar-client-none = No activities in the last 30 days or the next 90.

activity-title = Activity
activity-new-title = New activity
activity-new-heading = Plan an activity
activity-client = Client
activity-client-choose = Choose a client…
activity-kind = Kind
activity-kind-call = Call
activity-kind-meeting = Meeting
activity-kind-task = Task
activity-kind-demo = Demo
activity-kind-deadline = Deadline
activity-status-planned = Planned
activity-status-done = Done
activity-status-cancelled = Cancelled
activity-field-title = Title
activity-start-date = Starts on
activity-start-time = at
activity-end-date = Ends on
activity-end-time = at
activity-all-day = All day
activity-time-zone = Times in
activity-repeat = Repeats
activity-repeat-none = Does not repeat
activity-repeat-daily = Every day
activity-repeat-weekdays = Every weekday (Monday to Friday)
activity-repeat-weekly = Every week
activity-repeat-monthly = Every month
activity-repeat-yearly = Every year
activity-repeat-custom = Custom rule
activity-repeat-count = Times in all
activity-rule = Custom rule (RFC 5545)
activity-rule-help = Only with "Custom rule", for example FREQ=MONTHLY;BYDAY=1MO (the first Monday of every month).
activity-assignees = Assigned to
activity-location = Location
activity-video-url = Video call link
activity-notes = Notes
activity-outcome = Outcome
activity-complete = Mark done
activity-cancel = Cancel activity
activity-reopen = Plan again
activity-delete = Delete
activity-completed-at = Done
activity-save = Save
activity-create = Plan activity

calendar-feed-title = Your calendar feed
calendar-feed-heading = Your calendar in other applications
calendar-feed-help = A secret address (iCal) that Google Calendar, Outlook or Apple Calendar can subscribe to: your activities from 60 days ago to 300 days ahead. Whoever has the address can read them; revoke it if it leaks.
calendar-feed-since = Address issued
calendar-feed-last-read = last read
calendar-feed-issue = Get the address
calendar-feed-rotate = Get a new address (the old one stops working)
calendar-feed-revoke = Revoke
calendar-feed-once = Copy this address now: it is shown only once. Getting a new one stops this one.
calendar-feed-url = Address to subscribe to

activity-reminders = Reminders
activity-reminder-default = Use each assignee's own reminders
activity-reminders-help = Each person assigned gets them by e-mail and in the console. While the box is ticked, their own reminders apply instead of the ones chosen here.
reminder-at-start = At the start
reminder-minutes = { $n ->
    [one] 1 minute before
   *[other] { $n } minutes before
}
reminder-hours = { $n ->
    [one] 1 hour before
   *[other] { $n } hours before
}
reminder-days = { $n ->
    [one] 1 day before
   *[other] { $n } days before
}
reminder-weeks = { $n ->
    [one] 1 week before
   *[other] { $n } weeks before
}
reminder-toast-title = Reminder
reminder-toast-close = Close the reminder
calendar-reminders-heading = Your reminders
calendar-reminders-help = For the activities assigned to you that do not set their own: by e-mail and here in the console. Choose none for no reminders.
calendar-reminders-label = Remind me
calendar-reminders-save = Save reminders
calendar-reminders-saved = Your reminders are saved; your planned activities follow them.
calendar-reminders-invalid = Those reminders cannot be kept: at most 5, each from the start to a week before.
calendar-reminders-stale = Your reminders were changed elsewhere meanwhile; here they are as they stand now.

connections-title = Connected calendars
connections-link = Connect Google or Outlook
connections-help = Connect your own Google or Outlook calendar: activities assigned to you appear there, and a meeting you move there moves here. Only you see your connections.
connections-none-registered = This platform is not registered with any calendar provider yet; ask your administrator.
connections-provider-google = Google Calendar
connections-provider-microsoft = Outlook (Microsoft 365)
connections-provider-other = Another calendar
connections-status-active = Syncing
connections-status-reauthorize = Connect again: the provider no longer accepts this connection
connections-connected-at = Connected
connections-tokens-issued = Authorization renewed
connections-channel-expires = Change notices until
connections-channel-none = none (checked every few minutes)
connections-last-success = Last successful sync
connections-never = not yet
connections-changes = Changes in and out
connections-last-error = Last error:
connections-set-aside = Events set aside
connections-event = Event
connections-error = Why
connections-connect = Connect
connections-reconnect = Connect again
connections-disconnect = Disconnect
connections-not-connected = Not connected.
connections-connected = Your calendar is connected; its first sync starts within a minute.
connections-disconnected = Disconnected: the CRM no longer holds access to that calendar, and the provider revoked it.
connections-disconnected-unrevoked = Disconnected: the CRM deleted its access. This provider offers no revocation to applications; you can also remove the CRM in your account's settings.
connections-refused = The calendar was not connected: the provider refused or you did not allow it.
connections-expired = That connection request expired or was already used; connect again.
connections-not-configured = This platform is not registered with that provider.
activity-sync-conflict = Calendar sync:
connections-leaving = Taking you to the provider to allow the CRM to use your calendar…
connections-continue = Continue
