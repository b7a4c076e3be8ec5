"""The signed-in user's own account: profile and password."""

from fastapi import Response
from mangum import Mangum

from shared.db import unit_of_work
from shared.errors import NotFound
from shared.kit import CurrentUser, Function
from shared.users import repository
from shared.users.schemas import PasswordChange, ProfileUpdate, UserProfile
from shared.users.service import update_profile
from shared.users.verification import change_password

fn = Function("account", summary="Read and change one's own profile and password.")


@fn.get("/api/v1/users/me", response_model=UserProfile)
def me(user: CurrentUser) -> UserProfile:
    with unit_of_work() as session:
        found = repository.by_id(session, user.user_id)
        if found is None:
            raise NotFound("No such user.")
        return UserProfile.model_validate(found)


@fn.patch("/api/v1/users/me", response_model=UserProfile)
def edit(body: ProfileUpdate, user: CurrentUser) -> UserProfile:
    with unit_of_work() as session:
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        return UserProfile.model_validate(update_profile(session, user.user_id, changes))


@fn.post("/api/v1/users/me/password", status_code=204)
def password(body: PasswordChange, user: CurrentUser) -> Response:
    with unit_of_work() as session:
        change_password(
            session, user.user_id, body.current_password, body.new_password, user.session_id
        )
    return Response(status_code=204)


app = fn.app()
handler = Mangum(app, lifespan="off")
