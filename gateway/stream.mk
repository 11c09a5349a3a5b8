# gateway/stream.mk - the streaming relay (ConverseStream, InvokeModel and
# InvokeModelWithResponseStream).  Part of the core library; its tests.
libtgcore_a_SOURCES += gateway/stream.c gateway/stream_impl.h
