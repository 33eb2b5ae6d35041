//! How a device's byte stream is opened: the [`Opener`] trait, and
//! [`SerialOpener`], which opens a real serial port with tokio-serial.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_serial::SerialPortBuilderExt;

use super::{DataBits, FlowControl, Parity, PortConfig, StopBits};

/// Opens the byte stream of a device, once per connection attempt.
///
/// [`run_device`](super::run_device) calls `open` at start and again after
/// every disconnect or failed attempt, so each call must return a fresh
/// stream or an error. [`SerialOpener`] opens the real port; tests and other
/// transports (a PTY, a TCP socket, an in-memory duplex) pass their own.
///
/// Any `FnMut(&PortConfig) -> impl Future<Output = io::Result<S>>` is an
/// opener. The future cannot borrow the config, so clone what it needs:
///
/// ```
/// use std::io;
/// use firmware_bridge::port::{Opener, PortConfig};
///
/// fn tcp_opener(address: String) -> impl Opener {
///     move |_config: &PortConfig| {
///         let address = address.clone();
///         async move { tokio::net::TcpStream::connect(address).await }
///     }
/// }
/// ```
pub trait Opener: Send {
    /// The stream a successful open yields.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send;

    /// Opens the device `config` describes. An error is reported as
    /// [`DeviceEvent::OpenFailed`](super::DeviceEvent::OpenFailed) and retried
    /// after the back-off.
    fn open(
        &mut self,
        config: &PortConfig,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

impl<F, Fut, S> Opener for F
where
    F: FnMut(&PortConfig) -> Fut + Send,
    Fut: Future<Output = io::Result<S>> + Send,
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    type Stream = S;

    fn open(&mut self, config: &PortConfig) -> impl Future<Output = io::Result<S>> + Send {
        self(config)
    }
}

/// Opens [`PortConfig::path`] as a serial port with the configured line
/// settings, in raw mode, without flow control unless configured, and for
/// exclusive use (a second open of the same port fails instead of stealing
/// half its bytes).
///
/// The path is opened as given and symbolic links are followed, so the
/// stable `/dev/serial/by-id/...` names udev creates work, and a scanner
/// plugged into another USB port is found again under the same name.
#[derive(Clone, Copy, Debug, Default)]
pub struct SerialOpener;

impl Opener for SerialOpener {
    type Stream = SerialStream;

    async fn open(&mut self, config: &PortConfig) -> io::Result<SerialStream> {
        // `open` and the termios calls behind it do not block: the port is
        // opened with O_NONBLOCK and the exclusive lock is taken with
        // LOCK_NB, so this is safe to run on the async runtime.
        let inner = tokio_serial::new(config.path.to_string_lossy(), config.baud)
            .parity(match config.parity {
                Parity::None => tokio_serial::Parity::None,
                Parity::Odd => tokio_serial::Parity::Odd,
                Parity::Even => tokio_serial::Parity::Even,
            })
            .data_bits(match config.data_bits {
                DataBits::Five => tokio_serial::DataBits::Five,
                DataBits::Six => tokio_serial::DataBits::Six,
                DataBits::Seven => tokio_serial::DataBits::Seven,
                DataBits::Eight => tokio_serial::DataBits::Eight,
            })
            .stop_bits(match config.stop_bits {
                StopBits::One => tokio_serial::StopBits::One,
                StopBits::Two => tokio_serial::StopBits::Two,
            })
            .flow_control(match config.flow_control {
                FlowControl::None => tokio_serial::FlowControl::None,
                FlowControl::Software => tokio_serial::FlowControl::Software,
                FlowControl::Hardware => tokio_serial::FlowControl::Hardware,
            })
            .open_native_async()?;
        Ok(SerialStream { inner })
    }
}

/// An open serial port: tokio-serial's stream, with a `flush` that does not
/// block.
///
/// tokio-serial flushes with `tcdrain`, a blocking call that waits until the
/// UART has shifted every byte out; on a stalled port it would hold a
/// runtime thread indefinitely. Writes to a tty are not buffered in user
/// space, so once `write` returns the bytes are with the kernel, which is all
/// a flush has to promise here. Flush and shutdown are therefore no-ops.
#[derive(Debug)]
pub struct SerialStream {
    inner: tokio_serial::SerialStream,
}

impl SerialStream {
    /// The tokio-serial stream, for port settings this crate does not wrap.
    pub fn get_ref(&self) -> &tokio_serial::SerialStream {
        &self.inner
    }

    /// The tokio-serial stream, mutably.
    pub fn get_mut(&mut self) -> &mut tokio_serial::SerialStream {
        &mut self.inner
    }
}

impl AsyncRead for SerialStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SerialStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
