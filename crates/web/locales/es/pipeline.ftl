# El embudo de ventas: el tablero, una oportunidad, la administración de embudos, la pestaña de
# oportunidades del cliente y la fila del embudo en el panel.
nav-pipeline = Embudo
nav-pipelines = Embudos de venta
pipeline-title = Embudo
pipeline-heading = Embudo de ventas
pipeline-configure = Configurar embudos
pipeline-filters = Filtrar el tablero
pipeline-choose = Embudo
pipeline-owner = Responsable
pipeline-owner-any = Todos los responsables
pipeline-owner-mine = Mías
pipeline-filter = Filtrar
pipeline-of-client = Solo las oportunidades de este cliente.
pipeline-every-client = Ver todos los clientes
pipeline-forecast = Embudo abierto y previsión
pipeline-open-value = Embudo abierto
pipeline-weighted-forecast = Previsión ponderada
pipeline-weighted = Ponderado
pipeline-open-count = Oportunidades abiertas
pipeline-opportunities-count = { $count ->
    [one] 1 oportunidad
   *[other] { $count } oportunidades
}
pipeline-closed-recent = Las columnas de ganadas y perdidas muestran los últimos { $count } días.
pipeline-drag-help = Arrastre una tarjeta a otra etapa o posición; la página de la oportunidad la mueve con el teclado.
pipeline-rotting = Estancada
pipeline-days = { $count ->
    [one] 1 día
   *[other] { $count } días
}
pipeline-more-cards = { $count ->
    [one] 1 oportunidad más no se muestra.
   *[other] { $count } oportunidades más no se muestran.
}
pipeline-add-here = Añadir una oportunidad
pipeline-move-conflict = Otra persona movió esta tarjeta antes; se ha actualizado el tablero.
pipeline-move-failed = No se pudo mover la tarjeta; se ha actualizado el tablero.
pipeline-move-invalid = La tarjeta no se puede mover ahí.
pipeline-notice-close = Cerrar
pipeline-kind-open = Abierta
pipeline-kind-won = Ganada
pipeline-kind-lost = Perdida
pipeline-dashboard-heading = Embudo
pipeline-value-per-stage = Valor del embudo por etapa
pipeline-chart-value = Valor ({ $currency })
pipeline-open-board = Abrir el tablero
opportunity-title = Oportunidad
opportunity-new = Nueva oportunidad
opportunity-new-title = Nueva oportunidad
opportunity-new-heading = Nueva oportunidad de venta
opportunity-create = Crear oportunidad
opportunity-save = Guardar cambios
opportunity-delete = Eliminar
opportunity-details = Detalles
opportunity-edit-heading = Cambiar la oportunidad
opportunity-stage-heading = Etapa
opportunity-move = Mover a esta etapa
opportunity-lost-reason-help = Por qué se perdió, al moverla a una etapa de perdidas.
opportunity-field-client = Cliente
opportunity-field-client-choose = Elija un cliente
opportunity-field-stage = Etapa
opportunity-field-title = Título
opportunity-field-value = Valor estimado
opportunity-field-value-help = Por ejemplo 12500 o 12500,50.
opportunity-field-currency = Moneda
opportunity-field-close-date = Fecha prevista de cierre
opportunity-field-owner = Responsable
opportunity-field-completion = Avance (%)
opportunity-field-lost-reason = Motivo de pérdida
opportunity-no-owner = Sin responsable
opportunity-owner-former = Antiguo usuario
opportunity-in-stage-since = En esta etapa desde
opportunity-closed-at = Cerrada
opportunity-created-at = Abierta
opportunity-created = Se ha abierto la oportunidad.
opportunity-saved = Se han guardado los cambios.
opportunity-moved = Se ha movido la oportunidad.
opportunity-deleted = Se ha eliminado la oportunidad.
pipelines-title = Embudos de venta
pipelines-heading = Embudos de venta
pipelines-new = Nuevo embudo
pipelines-none = Todavía no hay embudos.
pipelines-open-board = Abrir el tablero
pipeline-new-title = Nuevo embudo
pipeline-edit-title = Editar embudo
pipeline-name = Nombre
pipeline-stages = Etapas
pipeline-stages-help = Las etapas se muestran en el orden indicado. Rellene una fila en blanco para añadir una etapa; marque «Quitar» para retirarla (una etapa con oportunidades se queda). Todo embudo necesita una etapa abierta, una de ganadas y una de perdidas; los días de estancamiento marcan las oportunidades abiertas paradas demasiado tiempo.
pipeline-default = Predeterminado
pipeline-make-default = Hacer predeterminado
pipeline-delete = Eliminar embudo
pipeline-save = Guardar embudo
pipeline-create = Crear embudo
stage-order = Orden
stage-name = Etapa
stage-probability = Probabilidad (%)
stage-kind = Tipo
stage-proposal-sent = Propuesta enviada
stage-rot-days = Días de estancamiento
stage-remove = Quitar
client-opportunities-board = Verlas en el tablero
client-opportunities-none = Este cliente todavía no tiene oportunidades.
client-opportunities-more = Solo se listan las 50 más recientes; el tablero las muestra todas.
