//! The WebSocket transport, under both ASGI WebSocket sessions (`asgi::websocket`)
//! and Bolt `@api.websocket` routes (`fastpath::websocket`): which requests ask for a
//! WebSocket, the HTTP side of the handshake, and the frame pump that runs after it
//! (tokio-tungstenite), over an HTTP/1.1 upgrade, an HTTP/2 extended CONNECT or the
//! test client's in-process pipe. The session between the pump and Python (the ASGI
//! message state machine) is `asgi::websocket`'s; what it runs is an [`Endpoint`].

mod endpoint;
pub mod handshake;
pub mod pump;
mod upgrade;

pub use endpoint::Endpoint;
pub use tokio_tungstenite::tungstenite::Message;
pub use upgrade::{take_upgrade, InProcessSocket, InProcessUpgrade, Upgrade};
