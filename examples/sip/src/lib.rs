//! The SIP example as a library: its config file ([`config`]), read by
//! the supervisor console (examples/dashboard) too, and the PBX itself
//! ([`start`]), which the console can run in its own process: it lists
//! the PBX's live calls and puts supervisors on them on legs of its own
//! ([`console`], [`Pbx::live_calls`]). The `barge-sip` binary is
//! [`start`] and a wait for Ctrl-C.

pub mod call;
pub mod config;
pub mod console;
mod dtmf_relay;
mod g722;
mod media;
pub mod pbx;
mod sdp;

use std::net::SocketAddr;
use std::sync::Arc;

use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::TransportLayer;
use rsipstack::EndpointBuilder;
use tokio_util::sync::CancellationToken;

pub use config::Config;
pub use pbx::Pbx;

/// A PBX that listens and answers: what it shares with its host, and how
/// to stop it.
pub struct Running {
    /// The PBX's shared state: its config, its calls.
    pub pbx: Arc<Pbx>,
    token: CancellationToken,
    served: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops answering; the calls' tasks end as their dialogs do.
    pub async fn stop(self) {
        self.token.cancel();
        let _ = self.served.await;
    }

    /// Waits until the PBX stops by itself (its endpoint failed).
    pub async fn stopped(&mut self) {
        let _ = (&mut self.served).await;
    }
}

/// Starts the PBX of `config` on the current tokio runtime, listening for
/// SIP on UDP `listen` (an address of this host: the SIP stack advertises
/// it in Via and Contact).
pub async fn start(config: Config, listen: SocketAddr) -> Result<Running, String> {
    let token = CancellationToken::new();
    let transport = TransportLayer::new(token.clone());
    let udp = UdpConnection::create_connection(listen, None, Some(token.child_token()))
        .await
        .map_err(|e| format!("cannot listen on udp {listen}: {e}"))?;
    transport.add_transport(udp.into());
    let endpoint = EndpointBuilder::new()
        .with_cancel_token(token.clone())
        .with_transport_layer(transport)
        .with_user_agent("barge-sip")
        .build();
    let incoming = endpoint
        .incoming_transactions()
        .map_err(|e| format!("the SIP endpoint: {e}"))?;
    let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
    let pbx = Arc::new(Pbx::new(config, listen, dialogs));
    let serving = pbx.clone();
    let cancelled = token.clone();
    let served = tokio::spawn(async move {
        tokio::select! {
            _ = endpoint.serve() => {}
            _ = pbx::serve(serving, incoming) => {}
            _ = cancelled.cancelled() => {}
        }
    });
    Ok(Running { pbx, token, served })
}
