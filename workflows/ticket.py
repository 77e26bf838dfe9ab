"""TicketWorkflow: one durable workflow per ticket, from the grid worker's report to its archive.

Every human action is an update whose validator refuses the wrong actor, department, grid, state
or input before anything is written to history.
"""

from temporalio import workflow

from workflows.core import TicketCore

with workflow.unsafe.imports_passed_through():
    from domain import duplicates
    from domain.actions import (
        CancelInput,
        ClaimInput,
        DispatchInput,
        ExtensionDecisionInput,
        KeepSeparateInput,
        MergeInput,
        ParkingDecisionInput,
        RectifiedInput,
        RedateInput,
        RejectInput,
        RequestExtensionInput,
        RequestParkingInput,
        ReturnInput,
        StartVerificationInput,
        UnparkInput,
        UrgeInput,
        VerifyInput,
        WriteOffInput,
    )
    from domain.contracts import TicketInput, TicketResult
    from domain.models import ReportLink, SensorReading, TicketSnapshot


@workflow.defn
class TicketWorkflow(TicketCore):
    @workflow.init
    def __init__(self, input: TicketInput) -> None:
        super().__init__(input)

    @workflow.run
    async def run(self, input: TicketInput) -> TicketResult:
        return await self._run(input)

    @workflow.query
    def snapshot(self) -> TicketSnapshot:
        return self._published

    @workflow.signal
    def attach_report(self, link: ReportLink) -> None:
        """Another report was merged into this ticket (并单)."""
        duplicates.attach_report(self._ticket, link, workflow.now())

    @workflow.signal
    def sensor_reading(self, reading: SensorReading) -> None:
        """The device that opened this ticket reported the same fault (again)."""
        duplicates.sensor_reading(self._ticket, reading, workflow.now())

    @workflow.update
    async def merge(self, request: MergeInput) -> TicketSnapshot:
        return await self._act(request)

    @merge.validator
    def _check_merge(self, request: MergeInput) -> None:
        self._validate(request)

    @workflow.update
    async def keep_separate(self, request: KeepSeparateInput) -> TicketSnapshot:
        return await self._act(request)

    @keep_separate.validator
    def _check_keep_separate(self, request: KeepSeparateInput) -> None:
        self._validate(request)

    @workflow.update
    async def dispatch(self, request: DispatchInput) -> TicketSnapshot:
        return await self._act(request)

    @dispatch.validator
    def _check_dispatch(self, request: DispatchInput) -> None:
        self._validate(request)

    @workflow.update
    async def claim(self, request: ClaimInput) -> TicketSnapshot:
        return await self._act(request)

    @claim.validator
    def _check_claim(self, request: ClaimInput) -> None:
        self._validate(request)

    @workflow.update(name="return")
    async def return_(self, request: ReturnInput) -> TicketSnapshot:
        return await self._act(request)

    @return_.validator
    def _check_return(self, request: ReturnInput) -> None:
        self._validate(request)

    @workflow.update
    async def start_verification(self, request: StartVerificationInput) -> TicketSnapshot:
        return await self._act(request)

    @start_verification.validator
    def _check_start_verification(self, request: StartVerificationInput) -> None:
        self._validate(request)

    @workflow.update
    async def verify(self, request: VerifyInput) -> TicketSnapshot:
        return await self._act(request)

    @verify.validator
    def _check_verify(self, request: VerifyInput) -> None:
        self._validate(request)

    @workflow.update
    async def rectified(self, request: RectifiedInput) -> TicketSnapshot:
        return await self._act(request)

    @rectified.validator
    def _check_rectified(self, request: RectifiedInput) -> None:
        self._validate(request)

    @workflow.update
    async def write_off(self, request: WriteOffInput) -> TicketSnapshot:
        return await self._act(request)

    @write_off.validator
    def _check_write_off(self, request: WriteOffInput) -> None:
        self._validate(request)

    @workflow.update
    async def reject(self, request: RejectInput) -> TicketSnapshot:
        return await self._act(request)

    @reject.validator
    def _check_reject(self, request: RejectInput) -> None:
        self._validate(request)

    @workflow.update
    async def cancel(self, request: CancelInput) -> TicketSnapshot:
        return await self._act(request)

    @cancel.validator
    def _check_cancel(self, request: CancelInput) -> None:
        self._validate(request)

    @workflow.update
    async def request_extension(self, request: RequestExtensionInput) -> TicketSnapshot:
        return await self._act(request)

    @request_extension.validator
    def _check_request_extension(self, request: RequestExtensionInput) -> None:
        self._validate(request)

    @workflow.update
    async def decide_extension(self, request: ExtensionDecisionInput) -> TicketSnapshot:
        return await self._act(request)

    @decide_extension.validator
    def _check_decide_extension(self, request: ExtensionDecisionInput) -> None:
        self._validate(request)

    @workflow.update
    async def request_parking(self, request: RequestParkingInput) -> TicketSnapshot:
        return await self._act(request)

    @request_parking.validator
    def _check_request_parking(self, request: RequestParkingInput) -> None:
        self._validate(request)

    @workflow.update
    async def decide_parking(self, request: ParkingDecisionInput) -> TicketSnapshot:
        return await self._act(request)

    @decide_parking.validator
    def _check_decide_parking(self, request: ParkingDecisionInput) -> None:
        self._validate(request)

    @workflow.update
    async def unpark(self, request: UnparkInput) -> TicketSnapshot:
        return await self._act(request)

    @unpark.validator
    def _check_unpark(self, request: UnparkInput) -> None:
        self._validate(request)

    @workflow.update
    async def urge(self, request: UrgeInput) -> TicketSnapshot:
        """催办: a supervisor presses the department; the state and the clock stay."""
        return await self._act(request)

    @urge.validator
    def _check_urge(self, request: UrgeInput) -> None:
        self._validate(request)

    @workflow.update
    async def redate(self, request: RedateInput) -> TicketSnapshot:
        """A changed working calendar moves running deadlines (the system, for an admin who
        loaded a year's notice: activities/calendar_notice.py)."""
        return await self._act(request)

    @redate.validator
    def _check_redate(self, request: RedateInput) -> None:
        self._validate(request)
