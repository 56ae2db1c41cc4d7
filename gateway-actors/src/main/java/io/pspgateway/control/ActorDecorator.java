package io.pspgateway.control;

import org.apache.pekko.actor.typed.Behavior;

/**
 * Wraps the behaviour of an actor the gateway spawns, inside its supervision: a seam for whoever
 * wants to watch or disturb the messages of the gateway's actors (the chaos tests make them crash
 * there, as a bug would). The product spawns its actors undecorated ({@link #NONE}).
 *
 * <p>Decorated today: {@link CryptoSlotPool}, {@link MissHandler}, {@link Session} and {@link Peer}.
 */
public interface ActorDecorator {

    /** The behaviour to spawn in place of {@code behavior}, an actor of class {@code actor}. */
    <T> Behavior<T> decorate(Class<?> actor, Behavior<T> behavior);

    ActorDecorator NONE = new ActorDecorator() {
        @Override
        public <T> Behavior<T> decorate(Class<?> actor, Behavior<T> behavior) {
            return behavior;
        }
    };
}
