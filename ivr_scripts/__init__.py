"""Call logic over the Channel protocol: IVR menu runner, time-of-day routing. No sockets, no SQL."""
