namespace Pulse.Runtime.Serialization;

/// <summary>
/// Marks a copier that returns its input unchanged because the type is immutable. Collections and
/// generated copiers test <c>Copier&lt;T&gt;.Instance is IIdentityCopier</c> once and then skip
/// per-element copying (a list of ints is copied with one block copy, not element by element).
/// </summary>
public interface IIdentityCopier
{
}

/// <summary>The copier of immutable types: returns the value itself.</summary>
/// <typeparam name="T">An immutable type (or one marked <see cref="ImmutableAttribute"/>).</typeparam>
public sealed class IdentityCopier<T> : IDeepCopier<T>, IIdentityCopier
{
    /// <summary>The shared instance.</summary>
    public static IdentityCopier<T> Instance { get; } = new();

    private IdentityCopier()
    {
    }

    /// <inheritdoc />
    public T DeepCopy(T value) => value;
}
