using Pulse.Runtime.Invocation;
using Pulse.Runtime.Serialization;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Tests.Generators;

/// <summary>Records every call a generated proxy makes and answers with default results.</summary>
internal sealed class RecordingInvoker : IGrainCallInvoker
{
    public List<(string Overload, GrainRequest Request)> Calls { get; } = new();

    public IGrainFactory GrainFactory => throw new NotSupportedException();

    public ValueTask<TResult> InvokeAsync<TResult>(GrainReference target, GrainRequest<TResult> request)
    {
        Calls.Add((nameof(InvokeAsync), request));
        return new ValueTask<TResult>(default(TResult)!);
    }

    public ValueTask InvokeVoidAsync(GrainReference target, GrainRequest<NoResult> request)
    {
        Calls.Add((nameof(InvokeVoidAsync), request));
        return default;
    }

    public void InvokeOneWay(GrainReference target, GrainRequest request) => Calls.Add((nameof(InvokeOneWay), request));
}

/// <summary>
/// Sends each call the way a remote call travels: arguments written, read into a fresh request made
/// from the method id, then invoked on a local grain object.
/// </summary>
internal sealed class LoopbackInvoker(GrainInterfaceDescriptor descriptor, object grain, IGrainFactory? factory = null) : IGrainCallInvoker
{
    public IGrainFactory GrainFactory => factory ?? throw new NotSupportedException();

    public async ValueTask<TResult> InvokeAsync<TResult>(GrainReference target, GrainRequest<TResult> request)
    {
        GrainRequest<TResult> received = (GrainRequest<TResult>)Transfer(request);
        Completion<TResult> completion = new();
        received.Completion = completion;
        await received.InvokeAsync(grain);
        return await completion.Task;
    }

    public async ValueTask InvokeVoidAsync(GrainReference target, GrainRequest<NoResult> request) => await InvokeAsync(target, request);

    public void InvokeOneWay(GrainReference target, GrainRequest request) => Transfer(request).InvokeAsync(grain).AsTask().GetAwaiter().GetResult();

    private GrainRequest Transfer(GrainRequest request)
    {
        using PulseWriter writer = new();
        request.WriteArguments(writer);
        GrainRequest received = descriptor.CreateRequest(request.Method.MethodId)
            ?? throw new InvalidOperationException($"No request for method id {request.Method.MethodId}.");
        received.ReadArguments(new PulseReader(writer.ToArray()) { GrainFactory = factory });
        received.CancellationToken = request.CancellationToken;
        return received;
    }

    private sealed class Completion<TResult> : IResponseCompletion<TResult>
    {
        private readonly TaskCompletionSource<TResult> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<TResult> Task => _source.Task;

        public void SetResult(TResult result) => _source.SetResult(result);

        public void SetException(Exception exception) => _source.SetException(exception);
    }
}

/// <summary>Creates references through the registry, like the runtime's factory does.</summary>
internal sealed class RegistryGrainFactory : IGrainFactory
{
    private readonly IGrainCallInvoker _invoker = new RecordingInvoker();

    public TGrainInterface GetGrain<TGrainInterface>(string key)
        where TGrainInterface : IGrainWithStringKey
    {
        Assert.True(GeneratedCodeRegistry.TryGetGrainInterface(typeof(TGrainInterface), out GrainInterfaceDescriptor descriptor));
        return (TGrainInterface)(object)descriptor.CreateReference(new GrainId(descriptor.GrainType, key), _invoker);
    }
}

internal sealed class FakePersistentState<TState>(string stateName, string? storageName, IGrainContext context) : IPersistentState<TState>
{
    public string StateName { get; } = stateName;

    public string? StorageName { get; } = storageName;

    public IGrainContext Context { get; } = context;

    public TState State { get; set; } = Activator.CreateInstance<TState>();

    public string? Etag => null;

    public bool RecordExists => false;

    public Task ReadStateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task WriteStateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task ClearStateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}

internal sealed class FakePersistentStateFactory : IPersistentStateFactory
{
    public IPersistentState<TState> Create<TState>(IGrainContext context, string stateName, string? storageName) =>
        new FakePersistentState<TState>(stateName, storageName, context);
}

/// <summary>A service provider holding a fixed set of services.</summary>
internal sealed class DictionaryServiceProvider(params object[] services) : IServiceProvider
{
    public object? GetService(Type serviceType) => services.FirstOrDefault(serviceType.IsInstanceOfType);
}

internal sealed class FixedClock : ICounterClock
{
    public DateTimeOffset Now { get; } = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
}

internal sealed class FakeGrainContext(GrainId grainId, IServiceProvider services) : IGrainContext
{
    public GrainId GrainId { get; } = grainId;

    public object? GrainInstance => null;

    public IServiceProvider ActivationServices { get; } = services;

    public IGrainFactory GrainFactory { get; } = new RegistryGrainFactory();

    public TimeProvider TimeProvider => TimeProvider.System;

    public void DeactivateOnIdle()
    {
    }

    public void DelayDeactivation(TimeSpan timeSpan)
    {
    }

    public IGrainTimer RegisterTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options) => throw new NotSupportedException();
}
