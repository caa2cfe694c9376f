# El calendario: la página del calendario, el formulario de una actividad, la pestaña del cliente y las actividades de hoy.

nav-calendar = Calendario
calendar-title = Calendario
calendar-heading = Calendario
calendar-new = Planificar actividad
calendar-filters = Filtros del calendario
calendar-who = Mostrar
calendar-who-me = Mis actividades
calendar-who-all = Las de todo el equipo
calendar-client = Cliente
calendar-client-any = Cualquier cliente
calendar-filter = Mostrar
calendar-move-conflict = Otra persona cambió esta actividad antes; el calendario la muestra como está ahora.
calendar-move-failed = No se pudo mover la actividad; vuelve a estar donde estaba.
calendar-move-invalid = La actividad no puede ir ahí.
calendar-notice-close = Cerrar
calendar-open = Abrir el calendario
calendar-today-button = Hoy
calendar-today-heading = Hoy
calendar-today-none = No tienes nada planificado para hoy.
calendar-client-none = Sin actividades en los últimos 30 días ni en los próximos 90.

activity-title = Actividad
activity-new-title = Nueva actividad
activity-new-heading = Planificar una actividad
activity-client = Cliente
activity-client-choose = Elige un cliente…
activity-kind = Tipo
activity-kind-call = Llamada
activity-kind-meeting = Reunión
activity-kind-task = Tarea
activity-kind-demo = Demo
activity-kind-deadline = Fecha límite
activity-status-planned = Planificada
activity-status-done = Hecha
activity-status-cancelled = Cancelada
activity-field-title = Título
activity-start-date = Empieza el
activity-start-time = a las
activity-end-date = Termina el
activity-end-time = a las
activity-all-day = Todo el día
activity-time-zone = Horas en
activity-repeat = Se repite
activity-repeat-none = No se repite
activity-repeat-daily = Cada día
activity-repeat-weekdays = Cada día laborable (de lunes a viernes)
activity-repeat-weekly = Cada semana
activity-repeat-monthly = Cada mes
activity-repeat-yearly = Cada año
activity-repeat-custom = Regla propia
activity-repeat-count = Veces en total
activity-rule = Regla propia (RFC 5545)
activity-rule-help = Solo con «Regla propia», por ejemplo FREQ=MONTHLY;BYDAY=1MO (el primer lunes de cada mes).
activity-assignees = Asignada a
activity-location = Lugar
activity-video-url = Enlace de la videollamada
activity-notes = Notas
activity-outcome = Resultado
activity-complete = Marcar como hecha
activity-cancel = Cancelar actividad
activity-reopen = Volver a planificar
activity-delete = Eliminar
activity-completed-at = Hecha
activity-save = Guardar
activity-create = Planificar actividad

calendar-feed-title = Tu calendario para otras aplicaciones
calendar-feed-heading = Tu calendario en otras aplicaciones
calendar-feed-help = Una dirección secreta (iCal) a la que se pueden suscribir Google Calendar, Outlook o el Calendario de Apple: tus actividades desde hace 60 días hasta dentro de 300. Quien tenga la dirección puede leerlas; revócala si se filtra.
calendar-feed-since = Dirección creada
calendar-feed-last-read = leída por última vez
calendar-feed-issue = Obtener la dirección
calendar-feed-rotate = Obtener una dirección nueva (la anterior deja de funcionar)
calendar-feed-revoke = Revocar
calendar-feed-once = Copia esta dirección ahora: solo se muestra una vez. Si pides otra, esta deja de funcionar.
calendar-feed-url = Dirección para suscribirse

activity-reminders = Recordatorios
activity-reminder-default = Usar los recordatorios de cada persona asignada
activity-reminders-help = Cada persona asignada los recibe por correo y en la consola. Con la casilla marcada se aplican los suyos propios en lugar de los elegidos aquí.
reminder-at-start = Al empezar
reminder-minutes = { $n ->
    [one] 1 minuto antes
   *[other] { $n } minutos antes
}
reminder-hours = { $n ->
    [one] 1 hora antes
   *[other] { $n } horas antes
}
reminder-days = { $n ->
    [one] 1 día antes
   *[other] { $n } días antes
}
reminder-weeks = { $n ->
    [one] 1 semana antes
   *[other] { $n } semanas antes
}
reminder-toast-title = Recordatorio
reminder-toast-close = Cerrar el recordatorio
calendar-reminders-heading = Sus recordatorios
calendar-reminders-help = Para las actividades asignadas a usted que no fijan los suyos: por correo y aquí en la consola. No elija ninguno si no quiere recordatorios.
calendar-reminders-label = Recordarme
calendar-reminders-save = Guardar recordatorios
calendar-reminders-saved = Sus recordatorios están guardados; sus actividades planificadas los siguen.
calendar-reminders-invalid = Esos recordatorios no pueden guardarse: 5 como mucho, cada uno entre el comienzo y una semana antes.
calendar-reminders-stale = Sus recordatorios se cambiaron en otro lugar mientras tanto; aquí están como quedaron.

connections-title = Calendarios conectados
connections-link = Conectar Google u Outlook
connections-help = Conecta tu propio calendario de Google u Outlook: las actividades asignadas a ti aparecen allí, y una reunión que muevas allí se mueve aquí. Solo tú ves tus conexiones.
connections-none-registered = Esta plataforma aún no está registrada con ningún proveedor de calendarios; pregunta a tu administrador.
connections-provider-google = Google Calendar
connections-provider-microsoft = Outlook (Microsoft 365)
connections-provider-other = Otro calendario
connections-status-active = Sincronizando
connections-status-reauthorize = Conéctalo de nuevo: el proveedor ya no acepta esta conexión
connections-connected-at = Conectado
connections-tokens-issued = Autorización renovada
connections-channel-expires = Avisos de cambios hasta
connections-channel-none = ninguno (se revisa cada pocos minutos)
connections-last-success = Última sincronización correcta
connections-never = todavía no
connections-changes = Cambios recibidos y enviados
connections-last-error = Último error:
connections-set-aside = Eventos apartados
connections-event = Evento
connections-error = Motivo
connections-connect = Conectar
connections-reconnect = Conectar de nuevo
connections-disconnect = Desconectar
connections-not-connected = Sin conectar.
connections-connected = Tu calendario está conectado; su primera sincronización empieza en menos de un minuto.
connections-disconnected = Desconectado: el CRM ya no tiene acceso a ese calendario y el proveedor lo ha revocado.
connections-disconnected-unrevoked = Desconectado: el CRM ha borrado su acceso. Este proveedor no permite revocarlo desde una aplicación; también puedes quitar el CRM en la configuración de tu cuenta.
connections-refused = El calendario no se conectó: el proveedor lo rechazó o no lo permitiste.
connections-expired = Esa solicitud de conexión caducó o ya se usó; conéctalo de nuevo.
connections-not-configured = Esta plataforma no está registrada con ese proveedor.
activity-sync-conflict = Sincronización del calendario:
connections-leaving = Te llevamos al proveedor para que permitas al CRM usar tu calendario…
connections-continue = Continuar
