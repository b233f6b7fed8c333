using Pulse.Runtime.Invocation;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Networking;
using Pulse.Runtime.Serialization;
using Pulse.Runtime.Testing;
using Pulse.Runtime.Tests.Networking;
using Pulse.Runtime.Tests.Runtime;

namespace Pulse.Runtime.Tests.Cluster;

/// <summary>Calls made inside a <see cref="GrainCallBundle"/>: one message per silo, each call with its own outcome.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BundleTests
{
    [Fact]
    public async Task BundledCallsTravelAsOneMessagePerSiloAndEachGetsItsOwnAnswer()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await ClientSeeingEverySiloAsync(cluster);
        string[] keys = Keys("echo", 120);

        int[] plain = await EchoAllAsync(client.GrainFactory, keys, bundled: false);
        Assert.Equal(0, TotalBundles(cluster));

        int[] bundled = await EchoAllAsync(client.GrainFactory, keys, bundled: true);

        Assert.Equal(Enumerable.Range(0, keys.Length), plain);
        Assert.Equal(Enumerable.Range(0, keys.Length), bundled);
        Assert.Equal(3, TotalBundles(cluster));
        Assert.All(cluster.Silos, silo => Assert.Equal(1, silo.BundlesReceived));
    }

    [Fact]
    public async Task MoreCallsThanOneBundleHoldsAreSplitAcrossSeveral()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await ClientSeeingEverySiloAsync(cluster);
        string[] keys = Keys("split", 1000);

        int[] answers = await EchoAllAsync(client.GrainFactory, keys, bundled: true);

        Assert.Equal(Enumerable.Range(0, keys.Length), answers);

        // Some silo owns at least 334 of the 1,000 grains, more than one bundle holds; no silo needs more than
        // one bundle per BundleBody.MaxCalls calls plus one.
        Assert.InRange(TotalBundles(cluster), 4, 3 + (keys.Length / BundleBody.MaxCalls));
    }

    [Fact]
    public async Task ACallWhoseGrainThrowsFailsAloneAndTheRestOfItsBundleAnswers()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await ClientSeeingEverySiloAsync(cluster);
        string[] keys = Keys("mixed", 60);

        var calls = new ValueTask<int>[keys.Length];
        using (GrainCallBundle.Begin())
        {
            for (int i = 0; i < keys.Length; i++)
            {
                IBehaviourGrain grain = client.GrainFactory.GetGrain<IBehaviourGrain>(keys[i]);
                calls[i] = i % 3 == 0 ? grain.ThrowArgumentNowAsync("p" + i) : grain.EchoAsync(i);
            }
        }

        for (int i = 0; i < keys.Length; i++)
        {
            if (i % 3 == 0)
            {
                ValueTask<int> call = calls[i];
                ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(async () => await call);

                // The codec carries type and message (not ParamName), and the message names the parameter.
                Assert.Contains($"'p{i}'", error.Message);
            }
            else
            {
                Assert.Equal(i, await calls[i]);
            }
        }

        // Two methods, so up to two bundles per silo.
        Assert.InRange(TotalBundles(cluster), 3, 6);
    }

    [Fact]
    public async Task ACallTurnedIntoATaskInsideTheScopeIsSentAtOnceAndStillAnswers()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await ClientSeeingEverySiloAsync(cluster);
        string[] keys = Keys("task", 30);

        // A task waits on its call, so making it sends the call's bundle there and then.
        var tasks = new Task<int>[keys.Length];
        using (GrainCallBundle.Begin())
        {
            for (int i = 0; i < keys.Length; i++)
            {
                tasks[i] = client.GrainFactory.GetGrain<IBehaviourGrain>(keys[i]).EchoAsync(i).AsTask();
            }
        }

        Assert.Equal(Enumerable.Range(0, keys.Length), await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(keys.Length, TotalBundles(cluster));
    }

    [Fact]
    public async Task AResultIsSentAsTheGrainReturnedItNotAsALaterTurnChangedIt()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await ClientSeeingEverySiloAsync(cluster);
        IBehaviourGrain grain = client.GrainFactory.GetGrain<IBehaviourGrain>(Keys("list", 1)[0]);

        // Three turns of one grain in one bundle, each returning the list the next one changes.
        var calls = new ValueTask<List<int>>[3];
        using (GrainCallBundle.Begin())
        {
            for (int i = 0; i < calls.Length; i++)
            {
                calls[i] = grain.AppendAndGetAsync(i);
            }
        }

        Assert.Equal([0], await calls[0]);
        Assert.Equal([0, 1], await calls[1]);
        Assert.Equal([0, 1, 2], await calls[2]);
        Assert.Equal(1, TotalBundles(cluster));
    }

    [Fact]
    public async Task LargeResultsComeBackInSeveralResponsesAndLargeArgumentsGoOneMessageEach()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await ClientSeeingEverySiloAsync(cluster);
        string[] keys = Keys("large", 30);

        // 30 results of 100 to 129 KB: each silo's answer is cut into runs of about 256 KB.
        var filled = new ValueTask<byte[]>[keys.Length];
        using (GrainCallBundle.Begin())
        {
            for (int i = 0; i < keys.Length; i++)
            {
                filled[i] = client.GrainFactory.GetGrain<IBehaviourGrain>(keys[i]).FillAsync(100_000 + (i * 1024));
            }
        }

        for (int i = 0; i < keys.Length; i++)
        {
            byte[] bytes = await filled[i];
            Assert.Equal(100_000 + (i * 1024), bytes.Length);
            Assert.All(bytes, value => Assert.Equal((byte)(bytes.Length % 251), value));
        }

        long bundles = TotalBundles(cluster);
        Assert.Equal(3, bundles);

        // Arguments of 1.2 MB: more than a bundle carries, so each call goes alone.
        var measured = new ValueTask<int>[6];
        using (GrainCallBundle.Begin())
        {
            for (int i = 0; i < measured.Length; i++)
            {
                measured[i] = client.GrainFactory.GetGrain<IBehaviourGrain>(keys[i]).MeasureAsync(new byte[1_200_000 + i]);
            }
        }

        for (int i = 0; i < measured.Length; i++)
        {
            Assert.Equal(1_200_000 + i, await measured[i]);
        }

        Assert.Equal(bundles, TotalBundles(cluster));
    }

    [Fact]
    public async Task AHangingCallTimesOutAloneWhileTheOthersInItsBundleAreAnswered()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(1);
        TestClusterClient client = await cluster.CreateClientAsync(
            services => services.Configure<Configuration.MessagingOptions>(options => options.ResponseTimeout = TimeSpan.FromSeconds(4)));
        await TestSilo.WaitUntilAsync(() => client.Client.ActiveSilos.Count == 1, "the client sees the silo");
        string hanging = "hang-" + Guid.NewGuid().ToString("N");
        string[] keys = [hanging, .. Keys("quick", 20)];

        var calls = new ValueTask<int>[keys.Length];
        using (GrainCallBundle.Begin())
        {
            for (int i = 0; i < keys.Length; i++)
            {
                calls[i] = client.GrainFactory.GetGrain<IBehaviourGrain>(keys[i]).EchoOrHangAsync(i);
            }
        }

        try
        {
            // The silo answers the finished calls at half the bundle's 4 s time to live, before the caller gives up.
            for (int i = 1; i < keys.Length; i++)
            {
                Assert.Equal(i, await calls[i]);
            }

            ValueTask<int> stuck = calls[0];
            await Assert.ThrowsAsync<TimeoutException>(async () => await stuck);
            Assert.Equal(1, TotalBundles(cluster));
        }
        finally
        {
            GrainEvents.Gate(hanging).Release();
        }
    }

    [Fact]
    public async Task AnIdempotentBundledCallWhoseSiloDiesIsRetriedOnTheNewOwner()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        string key = Guid.NewGuid().ToString("N");

        ValueTask<int> call = await KillTheSiloRunningABundledCallAsync(cluster, key, grain => grain.FirstAttemptHangsIdempotentBundleableAsync());

        Assert.Equal(2, await call.AsTask().WaitAsync(TimeSpan.FromSeconds(25)));
    }

    [Fact]
    public async Task ANonIdempotentBundledCallWhoseSiloDiesFailsInsteadOfRunningTwice()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        string key = Guid.NewGuid().ToString("N");

        ValueTask<int> call = await KillTheSiloRunningABundledCallAsync(cluster, key, grain => grain.FirstAttemptHangsBundleableAsync());

        SiloUnavailableException error = await Assert.ThrowsAsync<SiloUnavailableException>(() => call.AsTask().WaitAsync(TimeSpan.FromSeconds(25)));
        Assert.Contains("may or may not have run", error.Message);
        Assert.Equal(1, GrainEvents.Get(GrainEvents.Activations, "attempt:" + key));
    }

    [Fact]
    public async Task AGracefulStopAndAJoinUnderBundledCallsLoseNoCallAndNoWrite()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await ClientSeeingEverySiloAsync(cluster);
        string[] keys = Keys("moving", 90);
        int[] acknowledged = new int[keys.Length];
        using var calling = new CancellationTokenSource();
        Task<int> load = IncrementContinuouslyAsync(client.GrainFactory, keys, acknowledged, calling.Token);
        await TestSilo.WaitUntilAsync(() => acknowledged.All(count => count > 0), "every grain was incremented once");

        // Calls in bundles to the stopping silo are answered Retry and routed again; a joining silo takes
        // grains over, so bundles built on the old view reach silos that no longer own some of their grains.
        await cluster.StopSiloAsync(cluster.Silos[1]);
        await cluster.StartSiloAsync();
        await cluster.WaitForStableViewAsync();
        int before = acknowledged.Sum();
        await TestSilo.WaitUntilAsync(() => acknowledged.Sum() > before + keys.Length, "bundled calls go on after the changes");
        await calling.CancelAsync();
        await load;

        for (int i = 0; i < keys.Length; i++)
        {
            Assert.Equal(acknowledged[i], await client.GrainFactory.GetGrain<ICounterGrain>(keys[i]).GetAsync());
        }
    }

    [Fact]
    public async Task AMalformedBundleIsAnsweredWithAnErrorAndTheConnectionKeepsServing()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(1);
        (SocketTransport connected, ConnectionPreamble _) = await NetworkTestKit.RawConnectAsync(cluster.Silos[0].Address.Endpoint, NetworkTestKit.SiloPreamble("test"));
        using SocketTransport peer = connected;
        Assert.True(GeneratedCodeRegistry.TryGetGrainInterface(typeof(IBehaviourGrain), out GrainInterfaceDescriptor behaviour));
        GrainMethodDescriptor echo = behaviour.Methods.Single(method => method.MethodName == nameof(IBehaviourGrain.EchoAsync));
        GrainId[] targets = Keys("raw", 2).Select(key => ((GrainReference)cluster.Silos[0].GrainFactory.GetGrain<IBehaviourGrain>(key)).GrainId).ToArray();
        var calls = new PulseWriter();
        BundleBody.WriteCall(calls, targets[0], EchoArguments(41));
        BundleBody.WriteCall(calls, targets[1], EchoArguments(42));
        byte[] valid = BundleBody.Join([2], calls.WrittenSpan);

        Send(peer, Bundle(echo, 1, [0])); // no calls
        Send(peer, Bundle(echo, 2, valid.AsSpan(0, valid.Length - 1).ToArray())); // the second call is cut short
        Send(peer, Bundle(echo, 3, valid));
        await peer.Output.FlushAsync();
        Dictionary<long, Message> responses = (await NetworkTestKit.ReadMessagesAsync(peer.Input, 3)).ToDictionary(message => message.CorrelationId);

        Assert.Equal(ResponseStatus.Exception, responses[1].Status);
        Assert.IsType<PulseSerializationException>(ResponseBody.ReadFailure(responses[1].Status, responses[1].Body));
        (ResponseStatus Status, ReadOnlyMemory<byte> Body)[] truncated = Outcomes(responses[2]);
        Assert.Equal(41, ResponseBody.ReadResult<int>(truncated[0].Status, truncated[0].Body));
        Assert.Equal(ResponseStatus.Exception, truncated[1].Status);
        Assert.IsType<PulseSerializationException>(ResponseBody.ReadFailure(truncated[1].Status, truncated[1].Body));
        Assert.Equal([41, 42], Outcomes(responses[3]).Select(outcome => ResponseBody.ReadResult<int>(outcome.Status, outcome.Body)));
    }

    private static byte[] EchoArguments(int value)
    {
        var arguments = new PulseWriter();
        Codec<int>.Instance.WriteField(arguments, 0, value);
        return arguments.ToArray();
    }

    private static Message Bundle(GrainMethodDescriptor method, long correlationId, byte[] body) => new()
    {
        Kind = MessageKind.BundleRequest,
        CorrelationId = correlationId,
        InterfaceType = method.GrainType,
        MethodId = method.MethodId,
        Body = body,
    };

    private static void Send(SocketTransport peer, Message message) => MessageSerializer.Write(peer.Output, message);

    private static (ResponseStatus Status, ReadOnlyMemory<byte> Body)[] Outcomes(Message response)
    {
        Assert.Equal(ResponseStatus.Ok, response.Status);
        var reader = new PulseReader(response.Body);
        var outcomes = new (ResponseStatus, ReadOnlyMemory<byte>)[BundleBody.ReadRun(reader, 2, out int first)];
        Assert.Equal(0, first);
        for (int i = 0; i < outcomes.Length; i++)
        {
            ResponseStatus status = BundleBody.ReadOutcome(reader, out ReadOnlyMemory<byte> body);
            outcomes[i] = (status, body);
        }

        Assert.True(reader.IsAtEnd);
        return outcomes;
    }

    private static string[] Keys(string prefix, int count)
    {
        string run = Guid.NewGuid().ToString("N");
        return Enumerable.Range(0, count).Select(i => $"{prefix}-{run}-{i}").ToArray();
    }

    private static long TotalBundles(TestCluster cluster) => cluster.Silos.Sum(silo => silo.BundlesReceived);

    private static async Task<int[]> EchoAllAsync(IGrainFactory factory, string[] keys, bool bundled)
    {
        var calls = new ValueTask<int>[keys.Length];
        using (bundled ? GrainCallBundle.Begin() : default)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                calls[i] = factory.GetGrain<IBehaviourGrain>(keys[i]).EchoAsync(i);
            }
        }

        int[] answers = new int[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            answers[i] = await calls[i];
        }

        return answers;
    }

    // Any failed call fails the load task, and the test with it.
    private static async Task<int> IncrementContinuouslyAsync(IGrainFactory factory, string[] keys, int[] acknowledged, CancellationToken cancellationToken)
    {
        int rounds = 0;
        var calls = new ValueTask<int>[keys.Length];
        while (!cancellationToken.IsCancellationRequested)
        {
            using (GrainCallBundle.Begin())
            {
                for (int i = 0; i < keys.Length; i++)
                {
                    calls[i] = factory.GetGrain<ICounterGrain>(keys[i]).IncrementAsync();
                }
            }

            for (int i = 0; i < keys.Length; i++)
            {
                Volatile.Write(ref acknowledged[i], await calls[i]);
            }

            rounds++;
        }

        return rounds;
    }

    private static async Task<TestClusterClient> ClientSeeingEverySiloAsync(TestCluster cluster)
    {
        TestClusterClient client = await cluster.CreateClientAsync();
        await TestSilo.WaitUntilAsync(() => client.Client.ActiveSilos.Count == cluster.Silos.Count, "the client sees every silo");
        return client;
    }

    /// <summary>Makes <paramref name="call"/> in a bundle, waits until its first attempt runs and kills the silo running it.</summary>
    private static async Task<ValueTask<int>> KillTheSiloRunningABundledCallAsync(TestCluster cluster, string key, Func<IBehaviourGrain, ValueTask<int>> call)
    {
        TestClusterClient client = await ClientSeeingEverySiloAsync(cluster);
        ValueTask<int> pending;
        using (GrainCallBundle.Begin())
        {
            pending = call(client.GrainFactory.GetGrain<IBehaviourGrain>(key));
        }

        await TestSilo.WaitUntilAsync(() => GrainEvents.Get(GrainEvents.Activations, "attempt:" + key) == 1, "the first attempt is running");
        TestClusterSilo host = Assert.Single(cluster.Silos, silo => silo.ActivationCount > 0);
        Assert.Equal(1, host.BundlesReceived);
        await cluster.KillSiloAsync(host);
        return pending;
    }
}
