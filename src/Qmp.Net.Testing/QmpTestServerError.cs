namespace Qmp.Net.Testing;

/// <summary>Thrown by a <see cref="QmpTestServer"/> handler to answer its command with a QMP error reply
/// (<c>{"error": {"class": ..., "desc": ...}}</c>), which the client raises as <see cref="QmpErrorException"/>.</summary>
public sealed class QmpTestServerError : Exception
{
    /// <summary>Initializes a new instance of the <see cref="QmpTestServerError"/> class.</summary>
    public QmpTestServerError()
        : this("GenericError", "An error occurred.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QmpTestServerError"/> class with a <c>GenericError</c>.</summary>
    /// <param name="description">The error description.</param>
    public QmpTestServerError(string description)
        : this("GenericError", description)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QmpTestServerError"/> class.</summary>
    /// <param name="errorClass">The error class, e.g. <c>GenericError</c>, <c>CommandNotFound</c>, <c>DeviceNotFound</c>.</param>
    /// <param name="description">The error description.</param>
    public QmpTestServerError(string errorClass, string description)
        : base(description)
    {
        ArgumentException.ThrowIfNullOrEmpty(errorClass);
        ArgumentNullException.ThrowIfNull(description);
        ErrorClass = errorClass;
        Description = description;
    }

    /// <summary>Initializes a new instance of the <see cref="QmpTestServerError"/> class with a <c>GenericError</c> and a cause.</summary>
    /// <param name="description">The error description.</param>
    /// <param name="innerException">The cause.</param>
    public QmpTestServerError(string description, Exception? innerException)
        : base(description, innerException)
    {
        ErrorClass = "GenericError";
        Description = description;
    }

    /// <summary>Gets the error class sent in the reply.</summary>
    public string ErrorClass { get; }

    /// <summary>Gets the description sent in the reply.</summary>
    public string Description { get; }
}
