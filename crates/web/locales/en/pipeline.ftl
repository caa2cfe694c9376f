# The sales pipeline: the board, an opportunity, the pipelines' administration, the client's
# opportunities tab and the dashboard's pipeline row.
nav-pipeline = Pipeline
nav-pipelines = Pipelines
pipeline-title = Pipeline
pipeline-heading = Sales pipeline
pipeline-configure = Configure pipelines
pipeline-filters = Filter the board
pipeline-choose = Pipeline
pipeline-owner = Owner
pipeline-owner-any = Every owner
pipeline-owner-mine = Mine
pipeline-filter = Filter
pipeline-of-client = Only the opportunities of this client.
pipeline-every-client = Show every client
pipeline-forecast = Open pipeline and forecast
pipeline-open-value = Open pipeline
pipeline-weighted-forecast = Weighted forecast
pipeline-weighted = Weighted
pipeline-open-count = Open opportunities
pipeline-opportunities-count = { $count ->
    [one] 1 opportunity
   *[other] { $count } opportunities
}
pipeline-closed-recent = Won and lost columns show the last { $count } days.
pipeline-drag-help = Drag a card to another stage or place; the opportunity page moves it with the keyboard.
pipeline-rotting = Rotting
pipeline-days = { $count ->
    [one] 1 day
   *[other] { $count } days
}
pipeline-more-cards = { $count ->
    [one] 1 more opportunity is not shown.
   *[other] { $count } more opportunities are not shown.
}
pipeline-add-here = Add an opportunity
pipeline-move-conflict = Someone else moved this card first; the board was refreshed.
pipeline-move-failed = The card could not be moved; the board was refreshed.
pipeline-move-invalid = The card could not be moved there.
pipeline-notice-close = Close
pipeline-kind-open = Open
pipeline-kind-won = Won
pipeline-kind-lost = Lost
pipeline-dashboard-heading = Pipeline
pipeline-value-per-stage = Pipeline value per stage
pipeline-chart-value = Value ({ $currency })
pipeline-open-board = Open the board
opportunity-title = Opportunity
opportunity-new = New opportunity
opportunity-new-title = New opportunity
opportunity-new-heading = New sales opportunity
opportunity-create = Create opportunity
opportunity-save = Save changes
opportunity-delete = Delete
opportunity-details = Details
opportunity-edit-heading = Change the opportunity
opportunity-stage-heading = Stage
opportunity-move = Move to this stage
opportunity-lost-reason-help = Why it was lost, when moving it to a lost stage.
opportunity-field-client = Client
opportunity-field-client-choose = Choose a client
opportunity-field-stage = Stage
opportunity-field-title = Title
opportunity-field-value = Estimated value
opportunity-field-value-help = Such as 12500 or 12500.50.
opportunity-field-currency = Currency
opportunity-field-close-date = Expected close date
opportunity-field-owner = Owner
opportunity-field-completion = Completion (%)
opportunity-field-lost-reason = Lost reason
opportunity-no-owner = No owner
opportunity-owner-former = Former user
opportunity-in-stage-since = In this stage since
opportunity-closed-at = Closed
opportunity-created-at = Opened
opportunity-created = The opportunity was opened.
opportunity-saved = The changes were saved.
opportunity-moved = The opportunity was moved.
opportunity-deleted = The opportunity was deleted.
pipelines-title = Pipelines
pipelines-heading = Sales pipelines
pipelines-new = New pipeline
pipelines-none = No pipeline yet.
pipelines-open-board = Open the board
pipeline-new-title = New pipeline
pipeline-edit-title = Edit pipeline
pipeline-name = Name
pipeline-stages = Stages
pipeline-stages-help = Stages are shown in the order given. Fill a blank row to add a stage; tick "Remove" to take one out (a stage holding opportunities stays). Every pipeline needs an open, a won and a lost stage; rot days mark open opportunities standing still too long.
pipeline-default = Default
pipeline-make-default = Make default
pipeline-delete = Delete pipeline
pipeline-save = Save pipeline
pipeline-create = Create pipeline
stage-order = Order
stage-name = Stage
stage-probability = Probability (%)
stage-kind = Kind
stage-proposal-sent = Proposal sent
stage-rot-days = Rot days
stage-remove = Remove
client-opportunities-board = See them on the board
client-opportunities-none = This client has no opportunities yet.
client-opportunities-more = Only the newest 50 are listed; the board shows them all.
