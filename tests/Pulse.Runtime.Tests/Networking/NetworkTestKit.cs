using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Networking;

namespace Pulse.Runtime.Tests.Networking;

/// <summary>Loopback listeners, managers, raw peers and messages for the transport tests.</summary>
internal static class NetworkTestKit
{
    public const string ClusterId = "net-tests";

    /// <summary>Upper bound for any wait in these tests; reaching it means the behaviour is broken.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static long s_generation = 1_000;

    public static NetworkingOptions Options(Action<NetworkingOptions>? configure = null)
    {
        NetworkingOptions options = new()
        {
            SiloPort = 0,
            ClientPort = 0,
            PickFreeClientPort = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            HandshakeTimeout = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(options);
        return options;
    }

    public static long NextGeneration() => Interlocked.Increment(ref s_generation);

    /// <summary>Starts a silo listener and returns it with the silo's address (bound port, new generation).</summary>
    public static async Task<(ConnectionListener Listener, SiloAddress Silo)> StartSiloAsync(
        IMessageHandler handler, NetworkingOptions? options = null, INetworkFaults? faults = null, long? generation = null, string clusterId = ClusterId)
    {
        options ??= Options();
        long gen = generation ?? NextGeneration();
        SiloAddress silo = default;
        ConnectionListener listener = new(options, ConnectionRole.Silo, handler, faults: faults);
        await listener.StartAsync(bound =>
        {
            silo = options.CreateSiloAddress(bound, gen);
            return ConnectionPreamble.ForSilo(clusterId, silo, "silo-" + bound.Port);
        });
        return (listener, silo);
    }

    public static ConnectionPreamble SiloPreamble(string clusterId = ClusterId) =>
        ConnectionPreamble.ForSilo(clusterId, new SiloAddress(new IPEndPoint(IPAddress.Loopback, 1), NextGeneration()), "caller");

    public static ConnectionManager Manager(IMessageHandler handler, ConnectionPreamble? local = null, NetworkingOptions? options = null, INetworkFaults? faults = null, TimeProvider? time = null) =>
        new(local ?? SiloPreamble(), handler, options ?? Options(), faults: faults, timeProvider: time);

    public static Message Request(string sender, long sequence, int bodyBytes = 16)
    {
        byte[] body = new byte[bodyBytes];
        for (int i = 0; i < body.Length; i++)
        {
            body[i] = (byte)(sequence + i);
        }

        return new Message
        {
            Kind = MessageKind.Request,
            CorrelationId = sequence,
            Target = GrainId.Create("nettest", sender),
            InterfaceType = new GrainType("nettest"),
            MethodId = 7,
            Body = body,
        };
    }

    public static bool HasExpectedBody(Message message)
    {
        ReadOnlySpan<byte> body = message.Body.Span;
        for (int i = 0; i < body.Length; i++)
        {
            if (body[i] != (byte)(message.CorrelationId + i))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A socket listening on a free loopback port, with optional socket settings inherited by accepted sockets.</summary>
    public static Socket RawListen(int receiveBufferBytes = 0)
    {
        Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBufferBytes > 0)
        {
            socket.ReceiveBufferSize = receiveBufferBytes;
        }

        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(16);
        return socket;
    }

    /// <summary>Connects a raw socket and runs the connecting side of the handshake, leaving the pipes to the test.</summary>
    public static async Task<(SocketTransport Transport, ConnectionPreamble Remote)> RawConnectAsync(IPEndPoint endpoint, ConnectionPreamble local, int sendBufferBytes = 0)
    {
        Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (sendBufferBytes > 0)
        {
            socket.SendBufferSize = sendBufferBytes;
        }

        await socket.ConnectAsync(endpoint).WaitAsync(Bound);
        SocketTransport transport = new(socket);
        ConnectionPreamble remote = await ConnectionHandshake.ConnectAsync(transport.Input, transport.Output, local, CancellationToken.None).AsTask().WaitAsync(Bound);
        return (transport, remote);
    }

    /// <summary>Accepts one socket and runs the accepting side of the handshake.</summary>
    public static async Task<(SocketTransport Transport, ConnectionPreamble Remote)> RawAcceptAsync(Socket listener, ConnectionPreamble local)
    {
        Socket socket = await listener.AcceptAsync().WaitAsync(Bound);
        SocketTransport transport = new(socket);
        AcceptResult result = await ConnectionHandshake.AcceptAsync(
            transport.Input, transport.Output, local, ConnectionRole.Silo, NoNetworkFaults.Instance, CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.Equal(HandshakeOutcome.Accepted, result.Outcome);
        return (transport, result.Remote!);
    }

    /// <summary>Reads <paramref name="count"/> messages from a raw peer's pipe.</summary>
    public static async Task<List<Message>> ReadMessagesAsync(PipeReader reader, int count)
    {
        List<Message> messages = new(count);
        while (messages.Count < count)
        {
            ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(Bound);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (messages.Count < count && MessageSerializer.TryReadFrame(ref buffer, MessageSerializer.DefaultMaxFrameBytes, out Message? message))
            {
                messages.Add(message);
            }

            Assert.False(result.IsCompleted && messages.Count < count, "The connection ended before every message arrived.");
            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        return messages;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <see cref="Bound"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using CancellationTokenSource bound = new(Bound);
        while (!condition())
        {
            if (bound.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(10);
        }
    }
}

/// <summary>Records everything the transport reports; optionally echoes requests back as responses.</summary>
internal sealed class RecordingHandler : IMessageHandler
{
    private readonly TaskCompletionSource _firstClose = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Echo { get; init; }

    public ConcurrentQueue<(Message Message, Connection Connection)> Received { get; } = new();

    public ConcurrentQueue<Message> SendFailures { get; } = new();

    public ConcurrentQueue<Exception> SendFailureErrors { get; } = new();

    public ConcurrentQueue<(Connection Connection, Exception? Error)> Closed { get; } = new();

    /// <summary>Everything in the order it was reported: "failed:&lt;id&gt;" and "closed".</summary>
    public ConcurrentQueue<string> Events { get; } = new();

    public Task FirstClose => _firstClose.Task;

    public void OnMessage(Message message, Connection connection)
    {
        Received.Enqueue((message, connection));
        if (Echo && message.Kind == MessageKind.Request)
        {
            Message response = message.CreateResponse(ResponseStatus.Ok, message.Body);
            if (!connection.TrySend(response))
            {
                _ = connection.SendAsync(response).AsTask().ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }

    public void OnSendFailed(Message message, Connection connection, Exception error)
    {
        SendFailures.Enqueue(message);
        SendFailureErrors.Enqueue(error);
        Events.Enqueue("failed:" + message.CorrelationId);
    }

    public void OnConnectionClosed(Connection connection, Exception? error)
    {
        Closed.Enqueue((connection, error));
        Events.Enqueue("closed");
        _firstClose.TrySetResult();
    }

    public Exception? ErrorOf(Connection connection)
    {
        foreach ((Connection closed, Exception? error) in Closed)
        {
            if (closed == connection)
            {
                return error;
            }
        }

        return null;
    }
}
