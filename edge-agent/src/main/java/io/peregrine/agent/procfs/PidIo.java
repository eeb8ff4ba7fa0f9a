package io.peregrine.agent.procfs;

/**
 * /proc/&lt;pid&gt;/io, cumulative over the life of the process (proc(5)). {@code readBytes} and
 * {@code writtenBytes} are what reached the block layer; {@code rchar}/{@code wchar} count every
 * read(2)/write(2) byte, sockets and page-cache hits included.
 */
public record PidIo(
    long rchar,
    long wchar,
    long syscr,
    long syscw,
    long readBytes,
    long writtenBytes,
    long cancelledWriteBytes) {
}
