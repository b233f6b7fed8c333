using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Pulse.Runtime.Networking;

/// <summary>
/// A connected socket with a pipe reader and writer over it, created once per connection and used
/// first by the handshake and then by the <see cref="Connection"/>, so bytes read ahead are kept.
/// </summary>
internal sealed class SocketTransport : IDisposable
{
    // Large enough that a batch of small messages or one typical response fits one read.
    private const int ReadBufferBytes = 16 * 1024;
    private const int WriteBufferBytes = 16 * 1024;

    private static readonly ConnectionClosedException s_discarded = new("The connection closed; unflushed bytes were discarded.");

    private int _disposed;

    public SocketTransport(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Socket = socket;

        // Request/response traffic: Nagle would hold back small frames waiting for an ACK.
        socket.NoDelay = true;
        RemoteEndPoint = socket.RemoteEndPoint;
        Stream = new NetworkStream(socket, ownsSocket: true);
        Input = PipeReader.Create(Stream, new StreamPipeReaderOptions(bufferSize: ReadBufferBytes, minimumReadSize: 1024, leaveOpen: true));
        Output = PipeWriter.Create(Stream, new StreamPipeWriterOptions(minimumBufferSize: WriteBufferBytes, leaveOpen: true));
    }

    public Socket Socket { get; }

    public NetworkStream Stream { get; }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// Closes the socket, which makes pending reads and writes on it fail or end, without touching the
    /// pipes (whose owners may still be inside a read or flush).
    /// </summary>
    public void Abort()
    {
        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset or not connected: closing below is all that is left to do.
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        Socket.Dispose();
    }

    /// <summary>Completes the pipes and closes the socket; call once nobody reads or writes any more.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Abort();
        Input.Complete();

        // Completing a stream pipe writer without an error writes what it still buffers synchronously;
        // the socket is closed and nobody would receive it, so skip that.
        Output.Complete(s_discarded);
        Stream.Dispose();
    }
}
