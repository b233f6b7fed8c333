namespace Pulse.Runtime.Invocation;

/// <summary>Sends requests to grains. The runtime implements it; generated references call it.</summary>
public interface IGrainCallInvoker
{
    /// <summary>Sends a request and returns its result.</summary>
    ValueTask<TResult> InvokeAsync<TResult>(GrainReference target, GrainRequest<TResult> request);

    /// <summary>Sends a request whose method returns no value.</summary>
    ValueTask InvokeVoidAsync(GrainReference target, GrainRequest<NoResult> request);

    /// <summary>Sends a one-way request; no response is awaited.</summary>
    void InvokeOneWay(GrainReference target, GrainRequest request);

    /// <summary>Creates a reference to another grain (used when grain references are deserialized).</summary>
    IGrainFactory GrainFactory { get; }
}

/// <summary>
/// Base class of generated grain references. A reference is an immutable (id, invoker) pair; it is
/// equal to any other reference to the same grain.
/// </summary>
public abstract class GrainReference : IAddressable, IEquatable<GrainReference>
{
    /// <summary>Creates a reference.</summary>
    protected GrainReference(GrainId grainId, IGrainCallInvoker invoker)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        GrainId = grainId;
        Invoker = invoker;
    }

    /// <summary>The grain this reference addresses.</summary>
    public GrainId GrainId { get; }

    /// <summary>The runtime that sends this reference's calls.</summary>
    public IGrainCallInvoker Invoker { get; }

    public bool Equals(GrainReference? other) => other is not null && GrainId.Equals(other.GrainId);

    public override bool Equals(object? obj) => obj is GrainReference other && Equals(other);

    public override int GetHashCode() => GrainId.GetHashCode();

    public override string ToString() => $"GrainReference:{GrainId}";
}
