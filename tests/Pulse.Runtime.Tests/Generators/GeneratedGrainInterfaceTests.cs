using Pulse.Runtime.Invocation;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Generators;

public sealed class GeneratedGrainInterfaceTests
{
    private static GrainInterfaceDescriptor Descriptor<T>()
    {
        Assert.True(GeneratedCodeRegistry.TryGetGrainInterface(typeof(T), out GrainInterfaceDescriptor descriptor));
        return descriptor;
    }

    private static GrainMethodDescriptor Method<T>(string name) => Descriptor<T>().Methods.Single(m => m.MethodName == name);

    [Fact]
    public void RegistryKnowsTheInterfaceUnderItsGrainTypeAlias()
    {
        GrainInterfaceDescriptor descriptor = Descriptor<ICounterGrain>();

        Assert.Equal("generator-test-counter", descriptor.GrainType.Value);
        Assert.True(GeneratedCodeRegistry.TryGetGrainInterface(new GrainType("generator-test-counter"), out GrainInterfaceDescriptor byAlias));
        Assert.Same(descriptor, byAlias);
        Assert.Equal(
            new[] { "AddAsync", "AppendAsync", "DescribeAsync", "GetAsync", "NotifyAsync", "PingAsync", "ResetAsync", "TouchAsync" },
            descriptor.Methods.Select(m => m.MethodName).Order().ToArray());
    }

    [Fact]
    public void InterfaceWithoutAliasUsesItsFullNameAndIncludesInheritedMethods()
    {
        GrainInterfaceDescriptor descriptor = Descriptor<INamedCounterGrain>();

        Assert.Equal("Pulse.Runtime.Tests.Generators.INamedCounterGrain", descriptor.GrainType.Value);
        Assert.Equal(10, descriptor.Methods.Count);
        Assert.All(descriptor.Methods, m => Assert.Equal(descriptor.GrainType, m.GrainType));
        Assert.Equal(typeof(ICounterGrain), descriptor.Methods.Single(m => m.MethodName == "AddAsync").InterfaceType);
        Assert.Equal(typeof(INamedCounterGrain), descriptor.Methods.Single(m => m.MethodName == "LinkAsync").InterfaceType);
    }

    [Theory]
    [InlineData("AddAsync", "AddAsync(int)")]
    [InlineData("DescribeAsync", "DescribeAsync(string)")]
    [InlineData("ResetAsync", "ResetAsync()")]
    [InlineData("AppendAsync", "AppendAsync(System.Collections.Generic.List<string>,string)")]
    public void MethodIdIsTheStableHashOfTheSignatureWithoutCancellationTokens(string method, string signature)
    {
        Assert.Equal(StableHash.Compute(signature), Method<ICounterGrain>(method).MethodId);
    }

    [Fact]
    public void MethodIdOfAGrainReferenceParameterUsesTheInterfaceFullName()
    {
        Assert.Equal(
            StableHash.Compute("LinkAsync(Pulse.Runtime.Tests.Generators.ICounterGrain)"),
            Method<INamedCounterGrain>("LinkAsync").MethodId);
    }

    [Fact]
    public void MethodAttributesBecomeInvokeOptions()
    {
        Assert.Equal(InvokeMethodOptions.ReadOnly | InvokeMethodOptions.AlwaysInterleave | InvokeMethodOptions.ReturnsTask, Method<ICounterGrain>("GetAsync").Options);
        Assert.Equal(InvokeMethodOptions.OneWay | InvokeMethodOptions.ReturnsTask, Method<ICounterGrain>("NotifyAsync").Options);
        Assert.Equal(InvokeMethodOptions.Idempotent | InvokeMethodOptions.ReturnsTask, Method<ICounterGrain>("AppendAsync").Options);
        Assert.Equal(InvokeMethodOptions.ReturnsTask, Method<ICounterGrain>("AddAsync").Options);
        Assert.Equal(InvokeMethodOptions.None, Method<ICounterGrain>("DescribeAsync").Options);
    }

    [Fact]
    public void OnlyMethodsAnsweringInAValueTaskOfAResultMayBeBundled()
    {
        Assert.True(Method<ICounterGrain>("DescribeAsync").Bundleable);
        Assert.False(Method<ICounterGrain>("AddAsync").Bundleable);
        Assert.False(Method<ICounterGrain>("NotifyAsync").Bundleable);
    }

    [Fact]
    public void CreateRequestReturnsARequestForKnownIdsAndNullForUnknownOnes()
    {
        GrainInterfaceDescriptor descriptor = Descriptor<ICounterGrain>();
        GrainMethodDescriptor add = Method<ICounterGrain>("AddAsync");

        GrainRequest? request = descriptor.CreateRequest(add.MethodId);

        Assert.NotNull(request);
        Assert.Same(add, request.Method);
        Assert.IsAssignableFrom<GrainRequest<int>>(request);
        Assert.IsAssignableFrom<GrainRequest<NoResult>>(descriptor.CreateRequest(Method<ICounterGrain>("ResetAsync").MethodId));
        Assert.Null(descriptor.CreateRequest(add.MethodId ^ 0xFFFFFFFF));
    }

    [Fact]
    public void ProxyImplementsTheInterfaceAndIsAReferenceToTheGrain()
    {
        GrainInterfaceDescriptor descriptor = Descriptor<INamedCounterGrain>();
        GrainId id = new(descriptor.GrainType, "k1");

        GrainReference reference = descriptor.CreateReference(id, new RecordingInvoker());

        Assert.IsAssignableFrom<INamedCounterGrain>(reference);
        Assert.IsAssignableFrom<ICounterGrain>(reference);
        Assert.Equal(id, reference.GrainId);
    }

    [Fact]
    public async Task ProxyCallsTheInvokeOverloadThatMatchesEachReturnShape()
    {
        RecordingInvoker invoker = new();
        ICounterGrain grain = (ICounterGrain)Descriptor<ICounterGrain>().CreateReference(GrainId.Create("generator-test-counter", "k"), invoker);
        using CancellationTokenSource cancellation = new();

        await grain.AddAsync(5);
        await grain.DescribeAsync("p", cancellation.Token);
        await grain.ResetAsync();
        await grain.TouchAsync();
        await grain.NotifyAsync("hello");
        await grain.PingAsync();

        Assert.Equal(
            new[] { "InvokeAsync", "InvokeAsync", "InvokeVoidAsync", "InvokeVoidAsync", "InvokeOneWay", "InvokeOneWay" },
            invoker.Calls.Select(c => c.Overload).ToArray());
        Assert.Equal(
            new[] { "AddAsync", "DescribeAsync", "ResetAsync", "TouchAsync", "NotifyAsync", "PingAsync" },
            invoker.Calls.Select(c => c.Request.Method.MethodName).ToArray());
        Assert.Equal(cancellation.Token, invoker.Calls[1].Request.CancellationToken);
    }

    [Fact]
    public async Task OneWayCallCompletesWithoutWaitingForTheGrain()
    {
        RecordingInvoker invoker = new();
        ICounterGrain grain = (ICounterGrain)Descriptor<ICounterGrain>().CreateReference(GrainId.Create("generator-test-counter", "k"), invoker);

        Task call = grain.NotifyAsync("fire and forget");

        Assert.True(call.IsCompletedSuccessfully);
        await call;
    }

    [Fact]
    public async Task RequestArgumentsRoundTripThroughWriteAndReadAndReachTheGrain()
    {
        (INamedCounterGrain proxy, CounterGrain grain) = CreateLoopback();
        using CancellationTokenSource cancellation = new();

        Assert.Equal(3, await proxy.AddAsync(3));
        Assert.Equal(7, await proxy.AddAsync(4));
        Assert.Equal("total:7", await proxy.DescribeAsync("total", cancellation.Token));
        Assert.Equal(cancellation.Token, grain.LastToken);
        Assert.Equal(2, await proxy.AppendAsync(new List<string> { "a", "b" }, "label"));
        Assert.Equal(new[] { "a", "b" }, grain.LastItems);
        await proxy.ResetAsync();
        Assert.Equal(0, await proxy.GetAsync());
        Assert.Equal("key-1", await proxy.GetNameAsync());
    }

    [Fact]
    public async Task GrainReferenceArgumentIsWrittenAsItsKeyAndReadBackThroughTheGrainFactory()
    {
        (INamedCounterGrain proxy, _) = CreateLoopback();
        ICounterGrain other = new RegistryGrainFactory().GetGrain<ICounterGrain>("other-key");

        Assert.Equal("generator-test-counter/other-key", await proxy.LinkAsync(other));
    }

    [Fact]
    public void CopyArgumentsCopiesAMutableListButNotStrings()
    {
        RecordingInvoker invoker = new();
        ICounterGrain grain = (ICounterGrain)Descriptor<ICounterGrain>().CreateReference(GrainId.Create("generator-test-counter", "k"), invoker);
        List<string> items = new() { "x" };
        string label = new('l', 3);
        _ = grain.AppendAsync(items, label);
        GrainRequest request = invoker.Calls.Single().Request;

        request.CopyArguments();

        // The copied request is read back through its own wire format to look at its fields.
        using PulseWriter writer = new();
        request.WriteArguments(writer);
        PulseReader reader = new(writer.ToArray());
        reader.ReadTag(out uint listId, out WireType listWire);
        List<string> copiedItems = Codec<List<string>>.Instance.ReadValue(reader, listWire);
        Assert.Equal(0u, listId);
        Assert.Equal(items, copiedItems);
        Assert.True(CopyChangedReference(request, items));
        Assert.False(CopyChangedReference(request, label));
    }

    /// <summary>Whether no field of the request still holds <paramref name="original"/> after the copy.</summary>
    private static bool CopyChangedReference(GrainRequest request, object original) =>
        !request.GetType().GetFields().Any(f => ReferenceEquals(f.GetValue(request), original));

    private static (INamedCounterGrain Proxy, CounterGrain Grain) CreateLoopback()
    {
        GrainInterfaceDescriptor descriptor = Descriptor<INamedCounterGrain>();
        GrainId id = new(descriptor.GrainType, "key-1");
        FakePersistentStateFactory states = new();
        DictionaryServiceProvider services = new(states, new FixedClock());
        FakeGrainContext context = new(id, services);
        CounterGrain grain = (CounterGrain)GeneratedCodeRegistry.GrainClasses.Single(c => c.GrainClass == typeof(CounterGrain)).Activator(services, context);
        LoopbackInvoker invoker = new(descriptor, grain, new RegistryGrainFactory());
        return ((INamedCounterGrain)descriptor.CreateReference(id, invoker), grain);
    }
}
