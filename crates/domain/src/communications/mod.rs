//! Messages to and from a client: their channels, directions and delivery states, and the
//! rules of the channels (the WhatsApp customer-service window, how a status may move).

mod kinds;
mod status;
mod whatsapp_window;

pub use kinds::{CallOutcome, Channel, Direction};
pub use status::{MAX_DELIVERY_ATTEMPTS, MessageStatus};
pub use whatsapp_window::{CUSTOMER_SERVICE_WINDOW, WindowCheck, whatsapp_window};
