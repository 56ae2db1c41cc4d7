package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The PF opened by PCI address as BACKEND-NOTES 2.1 gives, its address read, the list and the device released. */
class DocaDeviceTest {
    private FakeDoca fake;
    private DocaFlowNative doca;

    @BeforeEach
    void bind() throws Exception {
        fake = FakeDoca.get();
        doca = DocaFlowNative.bind(fake.lookup());
        fake.devices(List.of("0000:03:00.0", "0000:81:00.1"), Arrays.asList(new byte[] {10, 0, 0, 1}, null),
                List.of(InetAddress.getByName("2001:db8::3").getAddress(), InetAddress.getByName("fd00::81").getAddress()));
    }

    @Test
    void theDeviceWhoseAddressMatchesIsOpenedAndTheListDestroyedBeforeUse() throws Exception {
        try (DocaDevice device = DocaDevice.open(doca, "81:00.1")) {
            assertEquals(1, fake.devicesOpen());
            assertEquals(0, fake.deviceListsAlive(), "the list is destroyed once the device is open");
            assertEquals(InetAddress.getByName("fd00::81"), device.address(true));
            DocaUnavailableException none = assertThrows(DocaUnavailableException.class, () -> device.address(false));
            assertTrue(none.getMessage().contains("has no IPv4 address") && none.getMessage().contains("DOCA_ERROR_NOT_FOUND"), none.getMessage());
        }
        assertEquals(0, fake.devicesOpen());
        List<String> calls = fake.journal().stream().map(FakeDoca.Call::toString).toList();
        assertEquals(List.of("doca_devinfo_create_list", "doca_devinfo_is_equal_pci_addr 81:00.1", "doca_devinfo_is_equal_pci_addr 81:00.1",
                "doca_dev_open 0000:81:00.1", "doca_devinfo_destroy_list", "doca_devinfo_get_ipv6_addr 0000:81:00.1",
                "doca_devinfo_get_ipv4_addr 0000:81:00.1", "doca_dev_close 0000:81:00.1"), calls);
    }

    @Test
    void theFirstDevicesIpv4AddressIsTheUplinkOfAnIpv4Outer() throws Exception {
        try (DocaDevice device = DocaDevice.open(doca, "0000:03:00.0")) {
            assertEquals(InetAddress.getByName("10.0.0.1"), device.address(false));
            assertEquals(InetAddress.getByName("2001:db8::3"), device.address(true));
        }
    }

    @Test
    void anAddressNoDeviceHasIsRefusedWithWhatWasFoundAndNothingLeftOpen() {
        DocaUnavailableException e = assertThrows(DocaUnavailableException.class, () -> DocaDevice.open(doca, "04:00.0"));
        assertEquals("--backend doca: no DOCA device at PCI address 04:00.0 (-p/--pci-addr) among the 2 found: "
                + "`lspci -D | grep -i mellanox` lists the candidates", e.getMessage());
        assertEquals(0, fake.deviceListsAlive());
        assertEquals(0, fake.devicesOpen());
    }

    @Test
    void aMalformedAddressIsRefusedBeforeDocaIsAsked() {
        for (String bad : List.of("", "03:00", "3:00.0", "03:00.8", "0000:03:00.0.1", "zz:00.0")) {
            assertFalse(DocaDevice.isPciAddress(bad), bad);
            DocaUnavailableException e = assertThrows(DocaUnavailableException.class, () -> DocaDevice.open(doca, bad));
            assertTrue(e.getMessage().contains("is not a PCI address (BB:DD.F or DDDD:BB:DD.F)"), e.getMessage());
        }
        assertEquals(List.of(), fake.journal());
        assertTrue(DocaDevice.isPciAddress("03:00.0") && DocaDevice.isPciAddress("0000:AF:00.7"));
    }

    @Test
    void aDeviceDocaRefusesToOpenIsReportedWithDocasReasonAndTheListStillDestroyed() {
        fake.fail("doca_dev_open", 0, 3); // DOCA_ERROR_IN_USE
        DocaUnavailableException e = assertThrows(DocaUnavailableException.class, () -> DocaDevice.open(doca, "03:00.0"));
        assertTrue(e.getMessage().startsWith("--backend doca: the device at 03:00.0 does not open: ") && e.getMessage().contains("DOCA_ERROR_IN_USE"),
                e.getMessage());
        assertEquals(0, fake.deviceListsAlive());
        assertEquals(0, fake.devicesOpen());
    }
}
