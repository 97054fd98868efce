package nangohttp

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestPushbackTrailer(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // "" = no trailer
	}{
		{"no error", nil, ""},
		{"error without RetryInfo", status.Error(codes.Unavailable, "x"), ""},
		{"plain error", errors.New("x"), ""},
		{"governor refusal", rateLimitWaitError(2 * time.Second), "2000"},
		{"rounded up to the millisecond", rateLimitWaitError(1500 * time.Microsecond), "2"},
		{"zero", rateLimitWaitError(0), "0"},
		{"Nango's 429", StatusFromHTTP(429, "too_many_request", "", map[string][]string{"Retry-After": {"7"}}, nil), "7000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := PushbackTrailer(tt.err)
			if tt.want == "" {
				if md != nil {
					t.Errorf("trailer = %v, want none", md)
				}
				return
			}
			if got := md.Get(PushbackTrailerKey); len(got) != 1 || got[0] != tt.want {
				t.Errorf("trailer = %v, want %s: %s", md, PushbackTrailerKey, tt.want)
			}
		})
	}
}

// trailerStream is the part of a gRPC server stream SetTrailer reaches.
type trailerStream struct{ trailer metadata.MD }

func (*trailerStream) Method() string               { return "/nango.gateway.v1.X/Y" }
func (*trailerStream) SetHeader(metadata.MD) error  { return nil }
func (*trailerStream) SendHeader(metadata.MD) error { return nil }
func (s *trailerStream) SetTrailer(md metadata.MD) error {
	s.trailer = metadata.Join(s.trailer, md)
	return nil
}

func TestPushbackUnaryInterceptorSetsTheTrailerFromRetryInfo(t *testing.T) {
	icpt := PushbackUnaryInterceptor()
	for name, tc := range map[string]struct {
		err  error
		want []string
	}{
		"rate limited": {rateLimitWaitError(1200 * time.Millisecond), []string{"1200"}},
		"other error":  {status.Error(codes.NotFound, "x"), nil},
		"success":      {nil, nil},
	} {
		t.Run(name, func(t *testing.T) {
			ts := &trailerStream{}
			ctx := grpc.NewContextWithServerTransportStream(context.Background(), ts)
			resp, err := icpt(ctx, "req", &grpc.UnaryServerInfo{}, func(context.Context, any) (any, error) { return "resp", tc.err })
			if resp != "resp" || !errors.Is(err, tc.err) {
				t.Errorf("interceptor = %v, %v; want the handler's answer unchanged", resp, err)
			}
			if got := ts.trailer.Get(PushbackTrailerKey); len(got) != len(tc.want) || len(got) > 0 && got[0] != tc.want[0] {
				t.Errorf("trailer = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPushbackStreamInterceptorSendsTheTrailerToTheClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(
		grpc.StreamInterceptor(PushbackStreamInterceptor()),
		grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error { return rateLimitWaitError(3 * time.Second) }),
	)
	go srv.Serve(ln)
	defer srv.Stop()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var trailer metadata.MD
	err = conn.Invoke(context.Background(), "/nango.gateway.v1.Test/Call", &emptypb.Empty{}, &emptypb.Empty{}, grpc.Trailer(&trailer))
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("code = %v (%v), want ResourceExhausted", status.Code(err), err)
	}
	if got := trailer.Get(PushbackTrailerKey); len(got) != 1 || got[0] != "3000" {
		t.Errorf("trailer %s = %v, want [3000]", PushbackTrailerKey, got)
	}
}
