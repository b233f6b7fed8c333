using System.Diagnostics;
using System.Net;
using System.Threading.Tasks.Sources;
using Pulse.Runtime;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Networking;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// Raw transport round trips over loopback: one connection, an echo handler on the other side,
/// 1 / 64 / 1,024 requests in flight, each caller sending its next request when the response arrives.
/// </summary>
internal static class TransportScenario
{
    private const string ClusterId = "bench";

    public static async Task RunAsync(TimeSpan duration)
    {
        NetworkingOptions options = new() { SiloPort = 0, ClientPort = 0 };
        SiloAddress server = default;
        await using ConnectionListener listener = new(options, ConnectionRole.Silo, new EchoHandler());
        await listener.StartAsync(bound =>
        {
            server = options.CreateSiloAddress(bound, 1);
            return ConnectionPreamble.ForSilo(ClusterId, server, "bench-server");
        });

        const int MaxCallers = 1024;
        ResponseWaiter[] waiters = new ResponseWaiter[MaxCallers];
        for (int i = 0; i < waiters.Length; i++)
        {
            waiters[i] = new ResponseWaiter();
        }

        ConnectionPreamble client = ConnectionPreamble.ForSilo(ClusterId, new SiloAddress(new IPEndPoint(IPAddress.Loopback, 1), 2), "bench-client");
        await using ConnectionManager manager = new(client, new ResponseHandler(waiters), options);
        Connection connection = await manager.GetConnectionAsync(server);
        Console.WriteLine($"transport: loopback, one connection, 32-byte bodies, {Environment.ProcessorCount} cores, server GC={System.Runtime.GCSettings.IsServerGC}");
        Console.WriteLine("in flight   msgs/s (round trips)  p50 µs    p99 µs    p99.9 µs  gen0 GCs");
        foreach (int callers in new[] { 1, 64, MaxCallers })
        {
            await MeasureAsync(connection, waiters, callers, TimeSpan.FromSeconds(1));
            (double rate, LatencyRecorder latency, int gcs) = await MeasureAsync(connection, waiters, callers, duration);
            Console.WriteLine($"{callers,9} {rate,22:N0} {latency.PercentileMicros(50),7:N0} {latency.PercentileMicros(99),9:N0} {latency.PercentileMicros(99.9),11:N0} {gcs,9}");
        }
    }

    private static async Task<(double Rate, LatencyRecorder Latency, int Gen0)> MeasureAsync(Connection connection, ResponseWaiter[] waiters, int callers, TimeSpan duration)
    {
        var recorders = new LatencyRecorder[callers];
        long stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        int gen0Before = GC.CollectionCount(0);
        long started = Stopwatch.GetTimestamp();
        var tasks = new Task[callers];
        for (int c = 0; c < callers; c++)
        {
            LatencyRecorder recorder = recorders[c] = new LatencyRecorder();
            ResponseWaiter waiter = waiters[c];

            // The correlation id names the caller, which has one request in flight at a time, so the
            // request message can be reused once its response is back.
            Message request = new()
            {
                Kind = MessageKind.Request,
                CorrelationId = c,
                Target = GrainId.Create("bench", "echo-" + c),
                InterfaceType = new GrainType("bench"),
                Body = new byte[32],
            };
            tasks[c] = Task.Run(async () =>
            {
                while (true)
                {
                    long before = Stopwatch.GetTimestamp();
                    if (before >= stopAt)
                    {
                        return;
                    }

                    ValueTask response = waiter.Arm();
                    await connection.SendAsync(request);
                    await response;
                    recorder.Record(Stopwatch.GetTimestamp() - before);
                }
            });
        }

        await Task.WhenAll(tasks);
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var merged = new LatencyRecorder();
        foreach (LatencyRecorder recorder in recorders)
        {
            merged.Merge(recorder);
        }

        return (merged.Count / seconds, merged, GC.CollectionCount(0) - gen0Before);
    }

    /// <summary>A reusable awaitable completed by the response handler, so a round trip allocates no task.</summary>
    private sealed class ResponseWaiter : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        public ValueTask Arm()
        {
            _core.Reset();
            return new ValueTask(this, _core.Version);
        }

        public void Complete() => _core.SetResult(true);

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }

    private sealed class ResponseHandler(ResponseWaiter[] waiters) : IMessageHandler
    {
        public void OnMessage(Message message, Connection connection) => waiters[message.CorrelationId].Complete();

        public void OnSendFailed(Message message, Connection connection, Exception error) =>
            Console.Error.WriteLine($"transport: send failed: {error.Message}");

        public void OnConnectionClosed(Connection connection, Exception? error)
        {
            if (error is not null)
            {
                Console.Error.WriteLine($"transport: connection closed: {error.Message}");
            }
        }
    }

    private sealed class EchoHandler : IMessageHandler
    {
        public void OnMessage(Message message, Connection connection)
        {
            Message response = message.CreateResponse(ResponseStatus.Ok, message.Body);
            if (!connection.TrySend(response))
            {
                // Only when the send queue is full; the read loop must not wait for room.
                _ = connection.SendAsync(response).AsTask();
            }
        }

        public void OnSendFailed(Message message, Connection connection, Exception error)
        {
        }

        public void OnConnectionClosed(Connection connection, Exception? error)
        {
        }
    }
}
