using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Testing;

namespace Pulse.Runtime.Tests.Membership;

/// <summary>
/// Membership agents sharing one table, one fake network and one manual clock. Time moves in small
/// steps; after each step the harness waits (bounded, polling) until every agent finished the work the
/// step started, or is only waiting on the fake clock, so tests never sleep to wait for anything.
/// </summary>
internal sealed class MembershipHarness : IAsyncDisposable
{
    /// <summary>Clock step: fine enough that nothing in the protocol happens between steps unobserved.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    /// <summary>Real-time bound on anything the tests await (the clock is fake, so nothing times out by itself).</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly List<TestAgent> _agents = [];

    public ManualTimeProvider Time { get; } = new();

    public ScriptedMembershipTable Table { get; } = new();

    public FakeSiloNetwork Network { get; }

    public MembershipHarness()
    {
        Network = new FakeSiloNetwork(Time);
    }

    public static SiloAddress Address(int port, long generation = 1) => new(new IPEndPoint(IPAddress.Loopback, port), generation);

    /// <summary>Creates (does not join) an agent for 127.0.0.1:<paramref name="port"/>.</summary>
    public TestAgent Create(int port, long generation = 1, MembershipOptions? options = null)
    {
        SiloAddress address = Address(port, generation);
        FakeSiloNetwork.FakeProber prober = Network.ProberFor(address);
        var gossip = new RecordingGossip();
        var terminator = new RecordingTerminator();
        var logger = new CapturingLogger<MembershipAgent>();
        var agent = new MembershipAgent(
            new LocalSiloDetails(address, $"silo-{port}", "test-host", 30000 + (port % 1000), 8000 + (port % 1000)),
            Table,
            prober,
            gossip,
            terminator,
            Options.Create(options ?? new MembershipOptions()),
            Time,
            logger);
        var handle = new TestAgent(agent, prober, gossip, terminator, logger);
        lock (_agents)
        {
            _agents.Add(handle);
        }

        return handle;
    }

    /// <summary>Creates and joins an agent (joins need no clock movement when every probed silo answers).</summary>
    public async Task<TestAgent> JoinAsync(int port, long generation = 1, MembershipOptions? options = null)
    {
        TestAgent agent = Create(port, generation, options);
        await agent.Agent.JoinAsync(CancellationToken.None).WaitAsync(Bound);
        return agent;
    }

    /// <summary>Moves the clock by <paramref name="span"/> in steps, letting the agents catch up after each.</summary>
    public async Task AdvanceAsync(TimeSpan span)
    {
        for (TimeSpan moved = TimeSpan.Zero; moved < span; moved += Step)
        {
            Time.Advance(Step);
            await WaitQuiescentAsync();
        }
    }

    /// <summary>Moves the clock until <paramref name="condition"/> holds; returns the fake time that took.</summary>
    public async Task<TimeSpan> AdvanceUntilAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        TimeSpan moved = TimeSpan.Zero;
        while (!condition())
        {
            Assert.True(moved < limit, $"Still not true after {limit} of fake time: {what}.");
            Time.Advance(Step);
            moved += Step;
            await WaitQuiescentAsync();
        }

        return moved;
    }

    /// <summary>Waits until no agent has work in progress other than probes waiting on the fake clock.</summary>
    public Task WaitQuiescentAsync()
    {
        TestAgent[] agents;
        lock (_agents)
        {
            agents = [.. _agents];
        }

        return TestSilo.WaitUntilAsync(
            () => agents.All(agent => agent.IsQuiescent),
            "every membership agent finished the work the last clock step started",
            Bound);
    }

    public async ValueTask DisposeAsync()
    {
        TestAgent[] agents;
        lock (_agents)
        {
            agents = [.. _agents];
        }

        foreach (TestAgent agent in agents)
        {
            await agent.Agent.StopAsync().WaitAsync(Bound);
        }
    }
}

/// <summary>One agent and its test doubles.</summary>
internal sealed record TestAgent(
    MembershipAgent Agent,
    FakeSiloNetwork.FakeProber Prober,
    RecordingGossip Gossip,
    RecordingTerminator Terminator,
    CapturingLogger<MembershipAgent> Logger)
{
    public SiloAddress Address => Agent.LocalSilo.Address;

    public ClusterMembershipView View => Agent.CurrentView;

    /// <summary>
    /// Idle, or its only running job is a probe round blocked on probes that wait for the fake clock
    /// (a parked probe can only belong to that round once the agent has joined).
    /// </summary>
    public bool IsQuiescent
    {
        get
        {
            int pending = Agent.PendingWork;
            return pending == 0 || (pending == 1 && Prober.Parked > 0);
        }
    }

    public SiloStatus StatusOf(TestAgent other) => View.GetStatus(other.Address);
}

/// <summary>Keeps every message (all levels enabled, so every log call's formatting runs in the tests).</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly Lock _lock = new();
    private readonly List<(LogLevel Level, EventId EventId, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    public bool Logged(int eventId) => Entries.Any(entry => entry.EventId.Id == eventId);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            _entries.Add((logLevel, eventId, formatter(state, exception)));
        }
    }
}
